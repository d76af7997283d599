"""A live mediation session: who is in, the waiting room, caucus, chat, evidence, recording."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from fengqiao.mediation_room import texts
from fengqiao.mediation_room.forwarding import MediaUnit, SlotTrack
from fengqiao.mediation_room.peer import ParticipantPeer, Slot
from fengqiao.mediation_room.recorder import (
    ParticipantRecorder,
    RecordingSegment,
    sha256_file,
)
from fengqiao.mediation_room.store import (
    ChatRecord,
    EvidenceRef,
    ParticipantRef,
    RecordedFile,
    RoomEvent,
    RoomInfo,
    RoomStatus,
    RoomStore,
)
from fengqiao.mediation_room.tokens import SIDE_OF_ROLE, JoinClaims, Role

logger = logging.getLogger(__name__)

MAX_CHAT_LENGTH = 2000


class JoinRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class RoomOptions:
    ice_servers: list[dict[str, Any]]
    recordings_dir: Path
    slot_count: int = 5  # the most other participants one device is sent
    video_codec: str = "VP8"


@dataclass
class Participant:
    participant_id: str
    role: Role
    device: str = ""
    ws: web.WebSocketResponse | None = None
    peer: ParticipantPeer | None = None
    recorder: ParticipantRecorder | None = None
    consented: bool = False
    refused: bool = False
    admitted: bool = False
    removed: bool = False
    muted: dict[str, bool] = field(default_factory=lambda: {"audio": False, "video": False})
    segments: int = 0

    @property
    def side(self) -> str | None:
        return SIDE_OF_ROLE[self.role]

    @property
    def online(self) -> bool:
        return self.ws is not None and not self.ws.closed

    @property
    def state(self) -> str:
        if self.removed:
            return "removed"
        if self.refused:
            return "refused"
        if not self.online:
            return "offline"
        if not self.consented:
            return "notice"
        return "admitted" if self.admitted else "waiting"

    def ref(self) -> ParticipantRef:
        return ParticipantRef(self.participant_id, self.role)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64]


class RoomSession:
    def __init__(
        self, room: RoomInfo, store: RoomStore, options: RoomOptions, on_ended: Callable[[], None]
    ) -> None:
        self.room = room
        self.store = store
        self.options = options
        self._on_ended = on_ended
        self.participants: dict[str, Participant] = {}
        self.caucus_side: str | None = None
        self.t0 = time.monotonic()  # the recording timeline's zero
        self.started_at = datetime.now(UTC)
        self.stamp = self.started_at.strftime("%Y%m%dT%H%M%SZ")
        self.segments: list[RecordingSegment] = []
        self.timeline: list[dict[str, Any]] = []
        self.evidence: dict[str, tuple[EvidenceRef, bytes, frozenset[str]]] = {}
        self.ended = False
        self.last_seen = time.monotonic()  # last time anyone was connected
        self._targets: dict[int, list[SlotTrack]] = {}  # id(peer) -> slot tracks it feeds
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()

    # -- helpers ---------------------------------------------------------------------------
    def _ms(self) -> int:
        return int((time.monotonic() - self.t0) * 1000)

    async def _event(self, kind: str, participant_id: str | None = None, **detail: Any) -> None:
        self.timeline.append(
            {"t_ms": self._ms(), "kind": kind, "participant_id": participant_id, **detail}
        )
        await self.store.save_room_event(
            RoomEvent(
                self.room.room_id,
                self.room.case_id,
                kind,
                datetime.now(UTC),
                participant_id,
                detail,
            )
        )

    async def _send(self, p: Participant, message: dict[str, Any]) -> None:
        if p.online:
            assert p.ws is not None
            try:
                await p.ws.send_str(json.dumps(message, ensure_ascii=False))
            except (ConnectionError, RuntimeError):
                pass

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run work that must finish even if the socket handler that asked for it is cancelled
        (aiohttp cancels a WebSocket handler when its connection drops)."""
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _close_socket(self, ws: web.WebSocketResponse | None) -> None:
        # Closing waits for the peer's close frame, which the socket's own handler reads:
        # close in the background so a handler may close its own socket without deadlock.
        if ws is not None and not ws.closed:
            self.spawn(ws.close())

    def group_of(self, p: Participant) -> str:
        """Participants hear and see each other only within one group (背靠背调解)."""
        if self.caucus_side is None:
            return "all"
        if p.role in (Role.MEDIATOR, Role.INTERPRETER) or p.side == self.caucus_side:
            return "caucus"
        if p.side is not None:
            return f"side-{p.side}"
        return f"alone-{p.participant_id}"  # observers are kept out of a caucus

    def audience(self, sender: Participant) -> list[Participant]:
        group = self.group_of(sender)
        return [
            p
            for p in self.participants.values()
            if p.admitted and not p.removed and self.group_of(p) == group
        ]

    def roster(self) -> dict[str, Any]:
        return {
            "type": "roster",
            "recording": True,
            "caucus": self.caucus_side,
            "participants": [
                {
                    "id": p.participant_id,
                    "role": p.role.value,
                    "label": texts.ROLE_LABELS[p.role],
                    "state": p.state,
                    "muted": p.muted,
                    "reason": texts.CONSENT_REFUSED_REASON if p.refused else None,
                }
                for p in self.participants.values()
            ],
        }

    async def broadcast_roster(self) -> None:
        message = self.roster()
        for p in list(self.participants.values()):
            await self._send(p, message)

    # -- joining ---------------------------------------------------------------------------
    async def connect(
        self, claims: JoinClaims, device: str, ws: web.WebSocketResponse
    ) -> Participant:
        async with self._lock:
            if self.ended:
                raise JoinRefused("room_ended")
            p = self.participants.get(claims.participant_id)
            if p is None:
                p = Participant(claims.participant_id, claims.role)
                self.participants[p.participant_id] = p
            if p.removed:
                raise JoinRefused("removed")
            if p.online and p.device != device:
                # Same link from a second device while the first is connected: refuse.
                raise JoinRefused("in_use")
            old_ws = p.ws if p.online else None
            p.device, p.ws = device, ws
            self.last_seen = time.monotonic()
        if old_ws is not None:  # the same device reconnecting (reload, network change)
            await self._stop_media(p)
            self._close_socket(old_ws)
        await self._event("joined", p.participant_id, role=p.role.value)
        await self._send(
            p,
            {
                "type": "welcome",
                "participant_id": p.participant_id,
                "role": p.role.value,
                "label": texts.ROLE_LABELS[p.role],
                "ice_servers": self.options.ice_servers,
            },
        )
        if p.consented:
            await self._after_consent(p)
        else:
            await self._send(p, {"type": "notice", "text": texts.RECORDING_NOTICE})
            await self.broadcast_roster()
        return p

    async def consent(self, p: Participant, accepted: bool) -> None:
        if accepted:
            p.consented, p.refused = True, False
            await self._event("consent_accepted", p.participant_id)
            await self._after_consent(p)
            return
        p.refused = True
        await self._event("consent_refused", p.participant_id)
        await self._send(
            p,
            {
                "type": "error",
                "code": "consent_refused",
                "message": texts.ERRORS["consent_refused"],
            },
        )
        await self.broadcast_roster()
        self._close_socket(p.ws)

    async def _after_consent(self, p: Participant) -> None:
        if p.role is Role.MEDIATOR:
            p.admitted = True
        if p.admitted:
            await self._start_media(p)
        else:
            await self._send(p, {"type": "waiting", "text": texts.WAITING})
        await self.broadcast_roster()

    async def disconnect(self, p: Participant, ws: web.WebSocketResponse) -> None:
        if p.ws is not ws:
            return  # already replaced by a newer connection from the same device
        p.ws = None
        await self._stop_media(p)
        self.last_seen = time.monotonic()
        if not self.ended:
            await self._event("left", p.participant_id)
            await self.broadcast_roster()

    # -- media -----------------------------------------------------------------------------
    async def _start_media(self, p: Participant) -> None:
        if p.peer is not None or not p.online:
            return
        peer = ParticipantPeer(
            self.options.ice_servers,
            self.options.slot_count,
            self.options.video_codec,
            on_unit=self._on_unit,
            on_keyframe_wanted=self._on_keyframe_wanted,
        )
        peer.owner = p  # type: ignore[attr-defined]
        p.peer = peer
        p.segments += 1
        segment = RecordingSegment(
            path=self.options.recordings_dir
            / _safe(self.room.room_id)
            / f"{self.stamp}-{_safe(p.participant_id)}-{p.segments}.webm",
            participant_id=p.participant_id,
            role=p.role.value,
        )
        p.recorder = ParticipantRecorder(segment, self.t0, peer.request_keyframe)

        @peer.pc.on("connectionstatechange")
        async def _state() -> None:
            if peer.pc.connectionState == "failed" and p.peer is peer:
                await self._stop_media(p)

        offer = await peer.create_offer()
        await self._send(p, {"type": "offer", **offer})
        self._refresh_routing()

    async def _stop_media(self, p: Participant) -> None:
        peer, recorder = p.peer, p.recorder
        p.peer, p.recorder = None, None
        if recorder is not None:
            segment = recorder.close()
            if segment is not None:
                self.segments.append(segment)
        if peer is not None:
            self._refresh_routing()
            await peer.close()

    def _on_unit(self, peer: ParticipantPeer, unit: MediaUnit) -> None:
        owner: Participant = peer.owner  # type: ignore[attr-defined]
        if owner.recorder is not None and owner.peer is peer:
            owner.recorder.add(unit)
        for track in self._targets.get(id(peer), ()):
            if track.kind == unit.kind and not track.push(peer, unit):
                peer.request_keyframe()

    def _on_keyframe_wanted(self, slot: Slot) -> None:
        source = slot.video.source
        if isinstance(source, ParticipantPeer):
            source.request_keyframe()

    def _refresh_routing(self) -> None:
        """Point every subscriber's slots at the publishers it may see and hear."""
        with_media = [p for p in self.participants.values() if p.peer is not None]
        targets: dict[int, list[SlotTrack]] = {}
        for sub in with_media:
            assert sub.peer is not None
            for slot in sub.peer.slots:
                if (
                    slot.participant_id not in self.participants
                    or self.participants[slot.participant_id].peer is None
                ):
                    sub.peer.release_slot(slot.participant_id or "")
            for src in with_media:
                if src is sub:
                    continue
                assert src.peer is not None
                given = sub.peer.assign_slot(src.participant_id)
                if given is None:
                    continue  # more participants than slots
                if self.group_of(src) == self.group_of(sub):
                    given.audio.set_source(src.peer)
                    given.video.set_source(src.peer)
                    targets.setdefault(id(src.peer), []).extend([given.audio, given.video])
                    src.peer.request_keyframe()
                else:
                    given.audio.set_source(None)
                    given.video.set_source(None)
        self._targets = targets
        for sub in with_media:
            assert sub.peer is not None
            layout = []
            for slot in sub.peer.slots:
                shown = self.participants.get(slot.participant_id or "")
                visible = shown is not None and slot.video.source is not None
                layout.append(
                    {
                        "index": slot.index,
                        "participant_id": slot.participant_id if visible else None,
                        "label": texts.ROLE_LABELS[shown.role] if visible and shown else None,
                    }
                )
            asyncio.ensure_future(self._send(sub, {"type": "layout", "slots": layout}))

    # -- mediator controls -----------------------------------------------------------------
    def _target(self, participant_id: Any) -> Participant | None:
        return self.participants.get(str(participant_id))

    async def admit(self, participant_id: str) -> None:
        p = self._target(participant_id)
        if p is None or p.removed or p.refused or p.admitted:
            return
        p.admitted = True
        await self._event("admitted", p.participant_id)
        if p.consented:
            await self._start_media(p)
        await self.broadcast_roster()

    async def remove(self, participant_id: str) -> None:
        p = self._target(participant_id)
        if p is None or p.role is Role.MEDIATOR:
            return
        p.removed, p.admitted = True, False
        await self._event("removed", p.participant_id)
        await self._send(p, {"type": "removed", "message": texts.ERRORS["removed"]})
        await self._stop_media(p)
        self._close_socket(p.ws)
        await self.broadcast_roster()

    async def mute_request(self, participant_id: str) -> None:
        p = self._target(participant_id)
        if p is not None:
            await self._event("mute_requested", p.participant_id)
            await self._send(p, {"type": "mute_request", "text": texts.MUTE_REQUEST})

    async def set_caucus(self, side: str | None) -> None:
        if side not in ("a", "b", None) or side == self.caucus_side:
            return
        self.caucus_side = side
        await self._event("caucus_start" if side else "caucus_end", side=side)
        self._refresh_routing()
        for p in self.participants.values():
            if side is None:
                text = texts.CAUCUS_ENDED
            elif self.group_of(p) == "caucus":
                text = texts.CAUCUS_STARTED_WITH_YOU
            else:
                text = texts.CAUCUS_STARTED_OTHER_SIDE
            await self._send(p, {"type": "caucus", "side": side, "text": text})
        await self.broadcast_roster()

    # -- chat and evidence -----------------------------------------------------------------
    async def chat(self, p: Participant, text: str, evidence_id: str | None = None) -> None:
        text = text.strip()[:MAX_CHAT_LENGTH]
        if not text or not p.admitted:
            return
        kind = "comment" if evidence_id else "chat"
        if evidence_id is not None and evidence_id not in self.evidence:
            return
        audience = self.audience(p)
        record = ChatRecord(
            self.room.room_id,
            self.room.case_id,
            p.participant_id,
            p.role,
            text,
            datetime.now(UTC),
            kind,
            evidence_id,
            tuple(a.participant_id for a in audience),
        )
        await self.store.save_chat_message(record)
        message = {
            "type": kind,
            "from": p.participant_id,
            "label": texts.ROLE_LABELS[p.role],
            "text": text,
            "evidence_id": evidence_id,
            "at": record.sent_at.isoformat(),
        }
        for other in audience:
            await self._send(other, message)

    async def show_evidence(self, p: Participant, filename: str, data: bytes) -> EvidenceRef:
        ref = await self.store.on_evidence(self.room, p.ref(), filename, data)
        audience = self.audience(p)
        self.evidence[ref.evidence_id] = (ref, data, frozenset(a.participant_id for a in audience))
        await self._event(
            "evidence_shown", p.participant_id, evidence_id=ref.evidence_id, filename=filename
        )
        message = {
            "type": "evidence",
            "id": ref.evidence_id,
            "filename": ref.filename,
            "content_type": ref.content_type,
            "from": p.participant_id,
            "label": texts.ROLE_LABELS[p.role],
        }
        for other in audience:
            await self._send(other, message)
        return ref

    # -- ending ----------------------------------------------------------------------------
    async def end(self, reason: str = "ended_by_mediator") -> dict[str, Any]:
        if self.ended:
            return {}
        self.ended = True
        await self._event("session_end", reason=reason)
        for p in list(self.participants.values()):
            await self._send(p, {"type": "ended", "text": texts.ENDED})
        for p in list(self.participants.values()):
            await self._stop_media(p)
            self._close_socket(p.ws)
        manifest = await self._finalise_recording(reason)
        await self.store.set_room_status(self.room.room_id, RoomStatus.ENDED, datetime.now(UTC))
        self._on_ended()
        return manifest

    async def _finalise_recording(self, reason: str) -> dict[str, Any]:
        directory = self.options.recordings_dir / _safe(self.room.room_id)
        directory.mkdir(parents=True, exist_ok=True)
        files: list[RecordedFile] = []
        entries = []
        for segment in self.segments:
            digest = await asyncio.to_thread(sha256_file, segment.path)
            size = segment.path.stat().st_size
            files.append(RecordedFile(segment.path, digest, size))
            entries.append(
                {
                    "file": segment.path.name,
                    "participant_id": segment.participant_id,
                    "role": segment.role,
                    "start_ms": segment.start_ms,
                    "end_ms": segment.end_ms,
                    "streams": segment.streams,
                    "sha256": digest,
                    "bytes": size,
                }
            )
        manifest = {
            "version": 1,
            "room_id": self.room.room_id,
            "case_id": self.room.case_id,
            "started_at": self.started_at.isoformat(),
            "ended_at": datetime.now(UTC).isoformat(),
            "end_reason": reason,
            "timeline": "milliseconds since started_at; every file's timestamps use it",
            "files": entries,
            "events": self.timeline,
        }
        path = directory / f"{self.stamp}-manifest.json"
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        data = path.read_bytes()
        files.insert(0, RecordedFile(path, hashlib.sha256(data).hexdigest(), len(data)))
        await self.store.save_recording(self.room, manifest, files)
        return manifest
