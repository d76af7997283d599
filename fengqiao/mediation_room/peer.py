"""The server's RTCPeerConnection with one participant's device.

The server makes the offer, with every transceiver created up front (aiortc has no
removeTrack and renegotiation is fragile): mids 0/1 carry the participant's own microphone
and camera to the server; then ``slots`` pairs of send-only audio/video carry the others.
Which participant a slot shows is told over the signalling socket, never renegotiated.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from fengqiao.mediation_room.forwarding import (
    MediaUnit,
    SlotTrack,
    relay_keyframe_requests,
    request_keyframe,
    tap_receiver,
)

KEYFRAME_REQUEST_INTERVAL = 0.5  # seconds; PLIs faster than this only waste bandwidth


def ice_configuration(ice_servers: list[dict[str, Any]]) -> RTCConfiguration:
    """Browser-style ``[{"urls": ..., "username": ..., "credential": ...}]`` to aiortc's."""
    servers = [
        RTCIceServer(
            urls=server["urls"],
            username=server.get("username"),
            credential=server.get("credential"),
        )
        for server in ice_servers
    ]
    # One transport for every m-line: fewer ICE checks, and what browsers do by default.
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


@dataclass
class Slot:
    index: int
    audio: SlotTrack
    video: SlotTrack
    audio_mid: str = ""
    video_mid: str = ""
    participant_id: str | None = None


class ParticipantPeer:
    def __init__(
        self,
        ice_servers: list[dict[str, Any]],
        slot_count: int,
        video_codec: str,
        on_unit: Callable[[ParticipantPeer, MediaUnit], None],
        on_keyframe_wanted: Callable[[Slot], None],
    ) -> None:
        self.pc = RTCPeerConnection(ice_configuration(ice_servers))
        self._on_unit = on_unit
        self._last_keyframe_request = 0.0
        self.up_audio = self.pc.addTransceiver("audio", direction="recvonly")
        self.up_video = self.pc.addTransceiver("video", direction="recvonly")
        tap_receiver(self.up_audio.receiver, "audio", lambda u: self._on_unit(self, u))
        tap_receiver(self.up_video.receiver, "video", lambda u: self._on_unit(self, u))
        self.slots: list[Slot] = []
        transceivers = [(self.up_audio, "audio"), (self.up_video, "video")]
        for index in range(slot_count):
            slot = Slot(index, SlotTrack("audio"), SlotTrack("video", max_queue=60))
            audio = self.pc.addTransceiver(slot.audio, direction="sendonly")
            video = self.pc.addTransceiver(slot.video, direction="sendonly")
            relay_keyframe_requests(video.sender, functools.partial(on_keyframe_wanted, slot))
            transceivers += [(audio, "audio"), (video, "video")]
            self.slots.append(slot)
            slot.audio_mid_transceiver = audio  # type: ignore[attr-defined]
            slot.video_mid_transceiver = video  # type: ignore[attr-defined]
        # Every participant must send the same codec: frames are forwarded, not transcoded.
        for transceiver, kind in transceivers:
            wanted = {"audio": ["audio/opus"], "video": [f"video/{video_codec}", "video/rtx"]}
            codecs = RTCRtpSender.getCapabilities(kind).codecs
            transceiver.setCodecPreferences(
                [c for c in codecs if c.mimeType.lower() in [w.lower() for w in wanted[kind]]]
            )

    async def create_offer(self) -> dict[str, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        for slot in self.slots:
            slot.audio_mid = slot.audio_mid_transceiver.mid  # type: ignore[attr-defined]
            slot.video_mid = slot.video_mid_transceiver.mid  # type: ignore[attr-defined]
        return {
            "sdp": self.pc.localDescription.sdp,
            "up": {"audio": self.up_audio.mid, "video": self.up_video.mid},
            "slots": [
                {"index": s.index, "audio": s.audio_mid, "video": s.video_mid} for s in self.slots
            ],
        }

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def add_candidate(self, candidate: dict[str, Any]) -> None:
        text = str(candidate.get("candidate", ""))
        if not text:
            return  # end-of-candidates
        parsed = candidate_from_sdp(text.removeprefix("candidate:"))
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await self.pc.addIceCandidate(parsed)

    def request_keyframe(self) -> None:
        now = time.monotonic()
        if now - self._last_keyframe_request >= KEYFRAME_REQUEST_INTERVAL:
            self._last_keyframe_request = now
            request_keyframe(self.up_video.receiver)

    def slot_for(self, participant_id: str) -> Slot | None:
        return next((s for s in self.slots if s.participant_id == participant_id), None)

    def assign_slot(self, participant_id: str) -> Slot | None:
        slot = self.slot_for(participant_id)
        if slot is None:
            slot = next((s for s in self.slots if s.participant_id is None), None)
            if slot is not None:
                slot.participant_id = participant_id
        return slot

    def release_slot(self, participant_id: str) -> None:
        slot = self.slot_for(participant_id)
        if slot is not None:
            slot.participant_id = None
            slot.audio.set_source(None)
            slot.video.set_source(None)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.pc.close(), timeout=5)
        except TimeoutError:
            pass
