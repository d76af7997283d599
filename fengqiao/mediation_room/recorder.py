"""Write each participant's encoded audio and video to a crash-safe file, without re-encoding.

WebM (Matroska) is written front to back in clusters; we close a cluster every second and
flush after every packet, so a file cut by a crash decodes up to its last second. Each file's
own times start at zero (so a player shows its true length and seeks from its start); the
segment's ``offset_ms`` says where that zero lies on the session's timeline (0 = recording
start), which the manifest keeps so all files line up.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
from av.audio.stream import AudioStream
from av.video.codeccontext import VideoCodecContext
from av.video.stream import VideoStream

from fengqiao.mediation_room.forwarding import MediaUnit

logger = logging.getLogger(__name__)

MS = Fraction(1, 1000)
# Encoder names only label the streams: packets are muxed as received, nothing is encoded.
_STREAM_CODEC = {"vp8": "libvpx", "vp9": "libvpx-vp9", "h264": "h264", "opus": "libopus"}
_WEBM_CODECS = {"vp8", "vp9", "opus"}
# aiortc's audio jitter buffer holds 4 frames (80 ms) more than video's: shift audio back.
AUDIO_LATENCY_MS = 60


def opus_head(channels: int = 2) -> bytes:
    """RFC 7845 identification header; Matroska needs it as the Opus track's CodecPrivate."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, 312, 48000, 0, 0)


def vp8_dimensions(data: bytes) -> tuple[int, int] | None:
    # RFC 6386 9.1: a keyframe has a start code 9d 01 2a followed by 14-bit width and height.
    if len(data) >= 10 and data[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[6:10])
        return width & 0x3FFF, height & 0x3FFF
    return None


def frame_dimensions(codec: str, data: bytes) -> tuple[int, int] | None:
    if codec == "vp8":
        return vp8_dimensions(data)
    # Other codecs: decode this one keyframe to learn the size (once per file).
    try:
        ctx = cast(VideoCodecContext, av.CodecContext.create(codec, "r"))
        for frame in ctx.decode(av.Packet(data)):
            return frame.width, frame.height
    except av.FFmpegError:
        return None
    return None


@dataclass
class RecordingSegment:
    """What the manifest says about one file."""

    path: Path
    participant_id: str
    role: str
    name: str = ""  # the participant's name, for the reviewer's list
    number: int = 1  # 1 for the first connection, 2 after a reconnect...
    offset_ms: int | None = None  # session time of the file's zero
    start_ms: int | None = None
    end_ms: int | None = None
    streams: list[dict[str, Any]] = field(default_factory=list)
    packets: int = 0

    @property
    def duration_ms(self) -> int:
        if self.start_ms is None or self.end_ms is None:
            return 0
        return self.end_ms - self.start_ms


class ParticipantRecorder:
    """One file for one participant's connection; a rejoin starts a new segment file."""

    def __init__(
        self,
        segment: RecordingSegment,
        session_start: float,
        request_keyframe: Callable[[], None],
        video_wait: float = 4.0,
    ) -> None:
        self.segment = segment
        self._session_start = session_start
        self._request_keyframe = request_keyframe
        self._video_wait = video_wait
        self._pending: list[MediaUnit] = []
        self._first_arrival: float | None = None
        self._container: Any = None
        self._streams: dict[str, Any] = {}
        self._anchor: dict[str, tuple[int, int]] = {}  # kind -> (first timestamp, anchor ms)
        self._last_ms: dict[str, int] = {}
        self._closed = False
        self._last_key_request = 0.0

    def add(self, unit: MediaUnit) -> None:
        if self._closed:
            return
        if self._container is None:
            self._buffer(unit)
            return
        if unit.kind in self._streams:
            self._write(unit)

    def _buffer(self, unit: MediaUnit) -> None:
        """Hold units until both kinds have arrived (or ``video_wait`` passed): Matroska
        cannot add a track once the header is written."""
        if self._first_arrival is None:
            self._first_arrival = unit.arrival
        has_video = any(u.kind == "video" for u in self._pending)
        if unit.kind == "video" and not has_video and not unit.keyframe:
            now = time.monotonic()
            if now - self._last_key_request > 1.0:
                self._last_key_request = now
                self._request_keyframe()
            return  # a file's video must start with a keyframe
        self._pending.append(unit)
        kinds = {u.kind for u in self._pending}
        if kinds == {"audio", "video"} or unit.arrival - self._first_arrival > self._video_wait:
            self._open(next((u for u in self._pending if u.kind == "video"), None))

    def _open(self, video: MediaUnit | None) -> None:
        audio = next((u for u in self._pending if u.kind == "audio"), None)
        codecs = {u.codec for u in (audio, video) if u is not None}
        fmt = "webm" if codecs <= _WEBM_CODECS else "matroska"
        if fmt == "matroska" and self.segment.path.suffix == ".webm":
            self.segment.path = self.segment.path.with_suffix(".mkv")
        self.segment.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(
            str(self.segment.path),
            "w",
            format=fmt,
            # Close a cluster every second and flush each packet to the OS: crash safety.
            options={"cluster_time_limit": "1000", "flush_packets": "1"},
        )
        if video is not None:
            size = frame_dimensions(video.codec, video.data) or (640, 480)
            stream = cast(
                VideoStream, container.add_stream(_STREAM_CODEC.get(video.codec, video.codec))
            )
            stream.width, stream.height = size
            stream.time_base = MS
            self._streams["video"] = stream
            self.segment.streams.append(
                {"kind": "video", "codec": video.codec, "width": size[0], "height": size[1]}
            )
        if audio is not None:
            sound = cast(
                AudioStream,
                container.add_stream(_STREAM_CODEC.get(audio.codec, audio.codec), rate=48000),
            )
            if audio.codec == "opus":
                sound.codec_context.extradata = opus_head()
            sound.time_base = MS
            self._streams["audio"] = sound
            self.segment.streams.append({"kind": "audio", "codec": audio.codec})
        self._container = container
        # The file's zero: the first unit's arrival on the session timeline (audio, shifted
        # back by its latency, is never earlier than this).
        assert self._first_arrival is not None
        first_ms = int((self._first_arrival - self._session_start) * 1000) - AUDIO_LATENCY_MS
        self.segment.offset_ms = max(first_ms, 0)
        pending, self._pending = self._pending, []
        for unit in pending:
            if unit.kind in self._streams:
                self._write(unit)

    def _timeline_ms(self, unit: MediaUnit) -> int:
        if unit.kind not in self._anchor:
            anchor = int((unit.arrival - self._session_start) * 1000)
            if unit.kind == "audio":
                anchor -= AUDIO_LATENCY_MS
            self._anchor[unit.kind] = (unit.timestamp, max(anchor, 0))
        first_ts, anchor_ms = self._anchor[unit.kind]
        ms = anchor_ms + (unit.timestamp - first_ts) * 1000 // unit.clock_rate
        last = self._last_ms.get(unit.kind)
        if last is not None and ms <= last:
            ms = last + 1  # Matroska needs strictly increasing times within a track
        self._last_ms[unit.kind] = ms
        return ms

    def _write(self, unit: MediaUnit) -> None:
        ms = self._timeline_ms(unit)
        packet = av.Packet(unit.data)
        packet.pts = packet.dts = ms - (self.segment.offset_ms or 0)
        packet.time_base = MS
        packet.stream = self._streams[unit.kind]
        packet.is_keyframe = unit.keyframe
        try:
            self._container.mux(packet)
        except av.FFmpegError as exc:
            logger.warning("recording %s: dropped a packet: %s", self.segment.path.name, exc)
            return
        self.segment.packets += 1
        if self.segment.start_ms is None or ms < self.segment.start_ms:
            self.segment.start_ms = ms
        self.segment.end_ms = max(self.segment.end_ms or 0, ms)

    def close(self) -> RecordingSegment | None:
        """Finish the file (writes cues and duration); None if nothing was recorded."""
        if self._closed:
            return self.segment if self._container is not None and self.segment.packets else None
        self._closed = True
        if self._container is None and self._pending:
            self._open(next((u for u in self._pending if u.kind == "video"), None))
        if self._container is None:
            return None
        try:
            self._container.close()
        except av.FFmpegError as exc:  # e.g. no packet was ever written
            logger.warning("recording %s: %s", self.segment.path.name, exc)
        # A connection cut before any packet was written leaves no file to keep.
        return self.segment if self.segment.packets else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
