"""Forward encoded media between peers without decoding. All aiortc internals are touched here.

Why: aiortc's RTCRtpReceiver decodes every received frame in a thread and RTCRtpSender encodes
once per sending peer, so a MediaRelay room costs one decode per published track plus one
encode per subscriber (see bench/room_bench.py). But RTCRtpSender also accepts ``av.Packet``
from ``track.recv()`` and then only re-packetises it (that is how ``MediaPlayer(decode=False)``
works). So we:

1. tap the receiver: swap its private decoder queue for one that hands each reassembled,
   depayloaded frame to us instead of to the decoder thread (which then idles);
2. give each subscriber ``SlotTrack``s whose ``recv()`` returns those frames as ``av.Packet``;
3. relay keyframe requests (PLI/FIR) from subscribers to the publisher, because the sender's
   own "force keyframe" only reaches its encoder, which we no longer use.

Pinned to aiortc 1.16 (private names ``_RTCRtpReceiver__decoder_queue``,
``RTCRtpSender._send_keyframe``, ``RTCRtpReceiver._send_rtcp_pli``); tests cover all three.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaUnit:
    """One encoded audio or video frame as received from a publisher."""

    kind: str  # "audio" | "video"
    codec: str  # "opus", "vp8", "h264"
    data: bytes
    timestamp: int  # RTP clock units, unwrapped, 0 at the receiver's first frame
    clock_rate: int
    keyframe: bool
    arrival: float  # time.monotonic() when reassembled


def is_keyframe(codec: str, data: bytes) -> bool:
    if codec == "vp8":
        # RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame.
        return len(data) > 0 and data[0] & 1 == 0
    if codec == "h264":
        # aiortc's depayloader yields Annex B; an IDR slice (5) or SPS (7) starts a keyframe.
        for part in data.split(b"\x00\x00\x01")[1:]:
            if part and part[0] & 0x1F in (5, 7):
                return True
        return False
    return True


class _EncodedTap(queue.Queue[Any]):
    """Stands in for RTCRtpReceiver's decoder queue; ``put`` runs on the event loop thread."""

    def __init__(self, kind: str, on_unit: Callable[[MediaUnit], None]) -> None:
        super().__init__()
        self._kind = kind
        self._on_unit = on_unit

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # stop sentinel: let the idle decoder thread exit normally
            super().put(item, block, timeout)
            return
        codec_params, frame = item
        codec = codec_params.name.lower()
        self._on_unit(
            MediaUnit(
                kind=self._kind,
                codec=codec,
                data=frame.data,
                timestamp=frame.timestamp,
                clock_rate=codec_params.clockRate,
                keyframe=is_keyframe(codec, frame.data),
                arrival=time.monotonic(),
            )
        )


def tap_receiver(receiver: RTCRtpReceiver, kind: str, on_unit: Callable[[MediaUnit], None]) -> None:
    """Route a receiver's encoded frames to ``on_unit`` instead of its decoder.

    Must run before the receiver starts (before the answer is applied), because
    ``RTCRtpReceiver.receive`` hands the queue to the decoder thread it starts.
    """
    if getattr(receiver, "_RTCRtpReceiver__decoder_thread", None) is not None:
        raise RuntimeError("receiver already started; tap it before negotiation completes")
    if not hasattr(receiver, "_RTCRtpReceiver__decoder_queue"):
        raise RuntimeError("aiortc internals changed: RTCRtpReceiver has no decoder queue")
    receiver._RTCRtpReceiver__decoder_queue = _EncodedTap(kind, on_unit)  # type: ignore[attr-defined]


def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI upstream for every SSRC this receiver has seen."""
    for source in receiver.getSynchronizationSources():
        asyncio.ensure_future(receiver._send_rtcp_pli(source.source))


def relay_keyframe_requests(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """When the subscriber sends PLI/FIR, ask the publisher (``callback``) for a keyframe."""
    # RTCRtpSender._handle_rtcp_packet calls self._send_keyframe(); an instance attribute
    # shadows the method, which would only set a flag for the encoder we bypass.
    sender._send_keyframe = callback  # type: ignore[method-assign]


class SlotTrack(MediaStreamTrack):
    """An outgoing track for one subscriber; the room decides which publisher feeds it.

    Output timestamps stay continuous when the source changes (rejoin, caucus), advancing by
    the wall-clock gap, so the browser's jitter buffer sees one steady stream.
    """

    def __init__(self, kind: str, max_queue: int = 30) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[MediaUnit] = asyncio.Queue(maxsize=max_queue)
        self._source: object | None = None
        self._waiting_for_key = kind == "video"
        self._offset = 0
        self._last_out: int | None = None
        self._last_wall = 0.0
        self._clock_rate = 90000 if kind == "video" else 48000
        self.forwarded = 0

    @property
    def source(self) -> object | None:
        return self._source

    def set_source(self, source: object | None) -> None:
        """Switch publisher (None pauses). Video waits for the new source's next keyframe."""
        if source is self._source:
            return
        self._source = source
        self._waiting_for_key = self.kind == "video"
        self._last_in: int | None = None
        while not self._queue.empty():
            self._queue.get_nowait()

    def push(self, source: object, unit: MediaUnit) -> bool:
        """Queue a unit from ``source``; return False if a keyframe is needed from it."""
        if source is not self._source:
            return True
        if self._waiting_for_key:
            if not unit.keyframe:
                return False
            self._waiting_for_key = False
        if self._queue.full():
            # A slow subscriber: drop what is queued and restart from a keyframe.
            while not self._queue.empty():
                self._queue.get_nowait()
            if self.kind == "video":
                self._waiting_for_key = True
                return False
        self._queue.put_nowait(unit)
        return True

    def _map_timestamp(self, unit: MediaUnit) -> int:
        now = time.monotonic()
        last_in = getattr(self, "_last_in", None)
        if self._last_out is None:
            self._offset = -unit.timestamp
        elif last_in is None or unit.timestamp <= last_in:
            # New source or a restarted one: continue from where we were, plus the pause.
            step = max(int((now - self._last_wall) * self._clock_rate), 1)
            self._offset = self._last_out + step - unit.timestamp
        self._last_in = unit.timestamp
        out = unit.timestamp + self._offset
        self._last_out = out
        self._last_wall = now
        return out

    async def recv(self) -> av.Packet:  # type: ignore[override]
        unit = await self._queue.get()
        packet = av.Packet(unit.data)
        packet.pts = self._map_timestamp(unit)
        packet.time_base = Fraction(1, unit.clock_rate)
        self.forwarded += 1
        return packet
