"""CPU cost of a three-party recorded room: encoded forwarding vs a plain aiortc MediaRelay room.

The server runs in a child process and reports only its own CPU time; the three participants
run here and send pre-encoded 640x480 15 fps VP8 plus Opus (so they cost little and the same
in both runs). Baseline: each server peer decodes what it receives, MediaRelay fans the
decoded frames out, every subscriber's sender re-encodes, and MediaRecorder re-encodes a
WebM per participant. Ours: fengqiao.mediation_room forwards encoded frames and records them
without re-encoding.

    python bench/room_bench.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRecorder, MediaRelay

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fengqiao.mediation_room.forwarding import MediaUnit, tap_receiver
from fengqiao.mediation_room.peer import ParticipantPeer, ice_configuration
from fengqiao.mediation_room.recorder import ParticipantRecorder, RecordingSegment

WIDTH, HEIGHT, FPS, PARTICIPANTS = 640, 480, 15, 3


# -- participants (this process) ------------------------------------------------------------
def encode_clip(luma_shift: int) -> tuple[list[bytes], list[bytes]]:
    """Two seconds of moving picture and a tone, encoded once and looped."""
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.time_base, video.framerate, video.gop_size = Fraction(1, FPS), FPS, 2 * FPS
    video.bit_rate = 800_000
    rng = np.random.default_rng(luma_shift)
    base = rng.integers(0, 255, (HEIGHT * 3 // 2, WIDTH), dtype=np.uint8)
    frames = []
    for i in range(2 * FPS):
        frame = av.VideoFrame.from_ndarray(np.roll(base, i * 8, axis=1), format="yuv420p")
        frame.pts = i
        frames += [bytes(p) for p in video.encode(frame)]
    frames += [bytes(p) for p in video.encode(None)]
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48000, "mono", "s16"
    tone = (np.sin(np.arange(48000) * 2 * np.pi * 440 / 48000) * 8000).astype(np.int16)
    packets = []
    for i in range(50):
        frame = av.AudioFrame.from_ndarray(
            tone[None, i * 960 : (i + 1) * 960], format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = 48000, i * 960
        packets += [bytes(p) for p in audio.encode(frame)]
    return frames, packets


class LoopTrack(MediaStreamTrack):
    """Sends pre-encoded packets at real-time pace (RTCRtpSender packs av.Packet as is)."""

    def __init__(self, kind: str, packets: list[bytes], clock: int, step: int) -> None:
        super().__init__()
        self.kind = kind
        self._packets, self._clock, self._step = packets, clock, step
        self._i, self._start = 0, time.monotonic()

    async def recv(self) -> av.Packet:  # type: ignore[override]
        due = self._start + self._i * self._step / self._clock
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        packet = av.Packet(self._packets[self._i % len(self._packets)])
        packet.pts, packet.time_base = self._i * self._step, Fraction(1, self._clock)
        self._i += 1
        return packet


async def run_participants(conn: Any, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    pcs = []
    for n in range(PARTICIPANTS):
        offer = await loop.run_in_executor(None, conn.recv)
        pc = RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        video, audio = encode_clip(n)
        for t in pc.getTransceivers():
            if t.mid == offer["up"]["audio"]:
                t.sender.replaceTrack(LoopTrack("audio", audio, 48000, 960))
                t.direction = "sendonly"
            elif t.mid == offer["up"]["video"]:
                t.sender.replaceTrack(LoopTrack("video", video, 90000, 90000 // FPS))
                t.direction = "sendonly"
            else:  # receive but do not decode: the participants' cost is not under test
                tap_receiver(t.receiver, t.kind, lambda unit: None)
        await pc.setLocalDescription(await pc.createAnswer())
        conn.send(pc.localDescription.sdp)
        pcs.append(pc)
    await asyncio.sleep(seconds + 6)
    for pc in pcs:
        await pc.close()


# -- server (child process) -----------------------------------------------------------------
class LazyTrack(MediaStreamTrack):
    """A slot that starts relaying once the other participant's track exists."""

    def __init__(self, kind: str, source: asyncio.Future[MediaStreamTrack]) -> None:
        super().__init__()
        self.kind, self._source = kind, source

    async def recv(self) -> Any:
        return await (await self._source).recv()


async def relay_room(conn: Any, workdir: Path) -> list[RTCPeerConnection]:
    relay = MediaRelay()
    loop = asyncio.get_running_loop()
    sources = [{k: loop.create_future() for k in ("audio", "video")} for _ in range(PARTICIPANTS)]
    pcs = []
    for n in range(PARTICIPANTS):
        pc = RTCPeerConnection(ice_configuration([]))
        up = {k: pc.addTransceiver(k, direction="recvonly") for k in ("audio", "video")}
        for other in range(PARTICIPANTS):
            if other != n:
                for kind in ("audio", "video"):
                    sub = loop.create_future()
                    sources[other][kind].add_done_callback(
                        lambda f, s=sub: s.set_result(relay.subscribe(f.result()))
                    )
                    pc.addTransceiver(LazyTrack(kind, sub), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        conn.send({"sdp": pc.localDescription.sdp, "up": {k: t.mid for k, t in up.items()}})
        answer = await loop.run_in_executor(None, conn.recv)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        recorder = MediaRecorder(str(workdir / f"relay-{n}.webm"))
        for kind, t in up.items():
            sources[n][kind].set_result(t.receiver.track)
            recorder.addTrack(relay.subscribe(t.receiver.track))
        await recorder.start()
        pcs.append(pc)
    return pcs


async def forward_room(conn: Any, workdir: Path) -> list[RTCPeerConnection]:
    loop = asyncio.get_running_loop()
    peers: list[ParticipantPeer] = []
    recorders: dict[int, ParticipantRecorder] = {}
    t0 = time.monotonic()

    def on_unit(peer: ParticipantPeer, unit: MediaUnit) -> None:
        recorders[id(peer)].add(unit)
        for other in peers:
            slot = other.slot_for(str(id(peer)))
            if other is not peer and slot is not None:
                track = slot.video if unit.kind == "video" else slot.audio
                if not track.push(peer, unit):
                    peer.request_keyframe()

    for n in range(PARTICIPANTS):
        peer = ParticipantPeer([], PARTICIPANTS - 1, "VP8", on_unit, lambda slot: None)
        recorders[id(peer)] = ParticipantRecorder(
            RecordingSegment(workdir / f"fwd-{n}.webm", str(n), "party"), t0, peer.request_keyframe
        )
        peers.append(peer)
        conn.send(await peer.create_offer())
        answer = await loop.run_in_executor(None, conn.recv)
        await peer.accept_answer(answer)
    for sub in peers:
        for src in peers:
            if src is not sub:
                slot = sub.assign_slot(str(id(src)))
                assert slot is not None
                slot.audio.set_source(src)
                slot.video.set_source(src)
    return [p.pc for p in peers]


def server_main(mode: str, conn: Any, seconds: float) -> None:
    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            room = relay_room if mode == "relay" else forward_room
            pcs = await room(conn, Path(tmp))
            await asyncio.sleep(4)  # warm up: connections, first keyframes
            before = resource.getrusage(resource.RUSAGE_SELF)
            start = time.monotonic()
            await asyncio.sleep(seconds)
            after = resource.getrusage(resource.RUSAGE_SELF)
            wall = time.monotonic() - start
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            conn.send({"cpu": cpu, "wall": wall})
            for pc in pcs:
                await pc.close()

    asyncio.run(main())


def measure(mode: str, seconds: float) -> float:
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=server_main, args=(mode, child, seconds))
    proc.start()
    asyncio.run(run_participants(parent, seconds))
    result = parent.recv()
    proc.join(timeout=30)
    return result["cpu"] / result["wall"]  # cores used by the server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    streams = PARTICIPANTS * 2  # each participant publishes audio + video
    print(
        f"three-party recorded room, {WIDTH}x{HEIGHT} {FPS} fps VP8 + Opus, "
        f"{args.seconds:.0f} s measured per run"
    )
    results = {}
    for mode, name in (("relay", "aiortc MediaRelay baseline"), ("forward", "fengqiao forward")):
        load = measure(mode, args.seconds)
        results[mode] = load
        print(
            f"{name:28s} server CPU {load * 100:6.1f}% of a core | "
            f"{load * 1000 / streams:6.1f} ms CPU/s per published stream | "
            f"{load * 1000 / PARTICIPANTS:6.1f} ms CPU/s per participant | "
            f"rooms per core ≈ {1 / load:5.1f}"
        )
    print(f"baseline / forward CPU ratio: {results['relay'] / results['forward']:.1f}x")


if __name__ == "__main__":
    main()
