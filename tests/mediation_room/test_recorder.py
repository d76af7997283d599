"""Recording without re-encoding: a file cut short (a crash) still decodes."""

import shutil
import time
from fractions import Fraction
from pathlib import Path

import av

from fengqiao.mediation_room.forwarding import MediaUnit, is_keyframe
from fengqiao.mediation_room.recorder import (
    ParticipantRecorder,
    RecordingSegment,
    opus_head,
    vp8_dimensions,
)


def encoded_units(seconds: float, start: float) -> list[MediaUnit]:
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
    video.time_base = Fraction(1, 90000)
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48000, "stereo", "s16"
    units = []
    for step in range(int(seconds * 50)):  # 20 ms audio frames, 1 video frame in 3
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = 48000, step * 960
        units += [
            MediaUnit("audio", "opus", bytes(p), p.pts, 48000, True, start + step / 50)
            for p in audio.encode(frame)
        ]
        if step % 3 == 0:
            picture = av.VideoFrame(160, 120, "yuv420p")
            picture.pts, picture.time_base = step * 1800, video.time_base
            units += [
                MediaUnit(
                    "video",
                    "vp8",
                    bytes(p),
                    p.pts,
                    90000,
                    is_keyframe("vp8", bytes(p)),
                    start + step / 50,
                )
                for p in video.encode(picture)
            ]
    return units


def test_file_cut_mid_recording_still_plays(tmp_path: Path) -> None:
    start = time.monotonic()
    segment = RecordingSegment(tmp_path / "a.webm", "pa", "party_a")
    recorder = ParticipantRecorder(segment, start - 2.0, request_keyframe=lambda: None)
    units = encoded_units(4.0, start)
    for i, unit in enumerate(units):
        recorder.add(unit)
        if i == len(units) * 3 // 4:
            shutil.copy(segment.path, tmp_path / "crashed.webm")  # what a crash leaves
    recorder.close()

    with av.open(str(tmp_path / "crashed.webm")) as cut:
        times = [float(f.time) for f in cut.decode(video=0)]
    assert len(times) > 20
    # The file's own clock starts at zero although this participant joined 2 s into the
    # session; 3 s were written before the cut and clusters close every second, so more than
    # a second of it must have survived.
    assert min(times) < 0.2 and max(times) > 1.0

    with av.open(str(segment.path)) as whole:
        assert sorted(s.type for s in whole.streams) == ["audio", "video"]
        assert whole.streams.video[0].codec_context.name == "vp8"
        assert sum(1 for _ in whole.decode(audio=0)) > 150
    assert segment.streams[0] == {"kind": "video", "codec": "vp8", "width": 160, "height": 120}
    # The manifest keeps the shared timeline: the file's zero sits 2 s in (audio 60 ms early).
    assert 1900 <= segment.offset_ms <= 2000
    assert 5900 <= segment.end_ms <= 6100
    assert 3900 <= segment.duration_ms <= 4100
    with av.open(str(segment.path)) as whole:
        assert whole.duration is not None and 3.8 < whole.duration / av.time_base < 4.3


def test_audio_only_participant_gets_a_file_after_waiting_for_video(tmp_path: Path) -> None:
    start = time.monotonic()
    segment = RecordingSegment(tmp_path / "b.webm", "pb", "party_b")
    recorder = ParticipantRecorder(segment, start, lambda: None, video_wait=1.0)
    for unit in encoded_units(2.0, start):
        if unit.kind == "audio":
            recorder.add(unit)
    assert recorder.close() is segment
    with av.open(str(segment.path)) as container:
        assert [s.type for s in container.streams] == ["audio"]


def test_helpers() -> None:
    assert opus_head()[:8] == b"OpusHead" and len(opus_head()) == 19
    assert vp8_dimensions(b"\x10\x02\x00\x9d\x01\x2a\x80\x02\xe0\x01") == (640, 480)
    assert is_keyframe("h264", b"\x00\x00\x00\x01\x67abc") and not is_keyframe("vp8", b"\x01")


def test_connection_cut_before_audio_arrives_keeps_its_video(tmp_path: Path) -> None:
    """A reconnect can close a recorder that holds only video, waiting for audio: the file
    must still be written (it once came out empty and lost the whole session's manifest)."""
    start = time.monotonic()
    segment = RecordingSegment(tmp_path / "c.webm", "pa", "party_a")
    recorder = ParticipantRecorder(segment, start, lambda: None)
    for unit in encoded_units(0.5, start):
        if unit.kind == "video":
            recorder.add(unit)
    assert recorder.close() is segment
    with av.open(str(segment.path)) as container:
        assert [s.type for s in container.streams] == ["video"]
        assert sum(1 for _ in container.decode(video=0)) >= 1

    empty = ParticipantRecorder(
        RecordingSegment(tmp_path / "d.webm", "pb", "party_b"), start, lambda: None
    )
    assert empty.close() is None and not (tmp_path / "d.webm").exists()


async def test_combined_view_puts_everyone_side_by_side_on_one_timeline(tmp_path: Path) -> None:
    import shutil as sh
    from datetime import UTC, datetime

    import pytest

    from fengqiao.mediation_room.combined import combine
    from fengqiao.mediation_room.manifest import finalise_recording
    from fengqiao.mediation_room.memory_store import InMemoryRoomStore
    from fengqiao.mediation_room.store import RoomInfo, RoomStatus

    if sh.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    start = time.monotonic()
    segments = []
    for pid, role, joined in (("pa", "party_a", 0.0), ("pb", "party_b", 1.0)):
        segment = RecordingSegment(tmp_path / f"{pid}.webm", pid, role, name=pid)
        recorder = ParticipantRecorder(segment, start - joined, lambda: None)
        for unit in encoded_units(2.0, start):
            recorder.add(unit)
        assert recorder.close() is segment
        segments.append(segment)
    now = datetime.now(UTC)
    room = RoomInfo("r", "1", now, now, RoomStatus.OPEN)
    store = InMemoryRoomStore()
    await finalise_recording(
        store=store,
        room=room,
        directory=tmp_path,
        stamp="s",
        started_at=now,
        segments=segments,
        events=[],
        reason="ended_by_mediator",
    )
    out = combine(tmp_path / "s-manifest.json", tmp_path / "combined.webm")
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (640, 240)
        assert [s.type for s in container.streams].count("audio") == 1
        seconds = container.duration / av.time_base
    # B joined a second later: the combined timeline runs to B's end, about 3 s.
    assert 2.8 < seconds < 4.0
