"""An in-process participant: aiohttp WebSocket for signalling plus an aiortc peer.

Each participant sends a flat grey picture of its own brightness, so a receiver can tell
whose video a slot is showing by the mean luma of the decoded frames.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import av
from aiohttp import ClientWebSocketResponse, test_utils
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError


class FlatVideoTrack(VideoStreamTrack):
    def __init__(self, luma: int, width: int = 160, height: int = 120) -> None:
        super().__init__()
        self._frame = av.VideoFrame(width, height, "yuv420p")
        for plane, value in zip(self._frame.planes, (luma, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self._frame.to_ndarray(), format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame


def mean_luma(frame: av.VideoFrame) -> int:
    # Rows of a plane are padded to line_size bytes: average only the picture itself.
    plane = frame.planes[0]
    data = bytes(plane)
    rows = [
        data[y * plane.line_size : y * plane.line_size + frame.width]
        for y in range(0, frame.height, 8)
    ]
    return sum(sum(row) for row in rows) // sum(len(row) for row in rows)


class RoomClient:
    def __init__(
        self,
        http: test_utils.TestClient,
        room_id: str,
        token: str,
        luma: int,
        device: str = "device-1",
    ) -> None:
        self.http = http
        self.room_id = room_id
        self.token = token
        self.luma = luma
        self.device = device
        self.ws: ClientWebSocketResponse | None = None
        self.pc: RTCPeerConnection | None = None
        self.inbox: list[dict[str, Any]] = []
        self.seen: dict[str, int] = {}  # slot video mid -> mean luma of its last frame
        self.frames: dict[str, int] = {}  # slot video mid -> frames decoded
        self.roster: dict[str, Any] = {}  # the latest roster this participant was sent
        self.slot_mids: dict[int, str] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._reader: asyncio.Task[None] | None = None
        self._new = asyncio.Event()

    async def join(self) -> None:
        self.ws = await self.http.ws_connect(f"/ws/rooms/{self.room_id}")
        await self.ws.send_json({"type": "join", "token": self.token, "device": self.device})
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            payload = json.loads(message.data)
            self.inbox.append(payload)
            if payload["type"] == "offer":
                await self._answer(payload)
            elif payload["type"] == "roster":
                self.roster = payload
            self._new.set()

    async def wait_for(self, kind: str, timeout: float = 20, **match: Any) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            start = 0
            while True:
                for i in range(start, len(self.inbox)):
                    msg = self.inbox[i]
                    if msg["type"] == kind and all(msg.get(k) == v for k, v in match.items()):
                        del self.inbox[: i + 1]
                        return msg
                start = len(self.inbox)
                self._new.clear()
                await self._new.wait()

        return await asyncio.wait_for(find(), timeout)

    async def send(self, **message: Any) -> None:
        assert self.ws is not None
        await self.ws.send_json(message)

    async def _answer(self, offer: dict[str, Any]) -> None:
        # aiortc's default (balanced) bundling leaves later m-lines without a transport.
        pc = self.pc = RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.slot_mids = {s["index"]: s["video"] for s in offer["slots"]}

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self._tasks.append(asyncio.create_task(self._consume(track)))

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.mid == offer["up"]["audio"]:
                transceiver.sender.replaceTrack(AudioStreamTrack())
                transceiver.direction = "sendonly"
            elif transceiver.mid == offer["up"]["video"]:
                transceiver.sender.replaceTrack(FlatVideoTrack(self.luma))
                transceiver.direction = "sendonly"
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(type="answer", sdp=pc.localDescription.sdp, peer=offer["peer"])

    async def _consume(self, track: MediaStreamTrack) -> None:
        mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.seen[mid] = mean_luma(frame)
            self.frames[mid] = self.frames.get(mid, 0) + 1

    def lumas_seen(self) -> set[int]:
        return {round(v / 10) * 10 for v in self.seen.values()}

    async def wait_seeing(self, lumas: set[int], timeout: float = 30) -> None:
        async def poll() -> None:
            while not lumas <= self.lumas_seen():
                await asyncio.sleep(0.1)

        try:
            await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            raise AssertionError(f"wanted {lumas}, saw {self.seen} ({self.frames})") from None

    async def close_media(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        if self.pc is not None:
            await self.pc.close()
            self.pc = None
        self.seen.clear()
        self.frames.clear()

    async def leave(self) -> None:
        await self.close_media()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
