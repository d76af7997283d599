"""A live mediation session: who is in, the waiting room, caucus, chat, evidence, recording.

What each page shows comes from one message, the roster, computed for its viewer: who is
there, in which state, and which of the viewer's video slots shows whom. A page renders from
the latest roster only (each carries a rising ``version``), so no order of messages can leave
a tile hidden or stale. The mediator's controls live in ``controls.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from fengqiao.mediation_room import texts
from fengqiao.mediation_room.controls import SessionControls
from fengqiao.mediation_room.forwarding import MediaUnit, SlotTrack
from fengqiao.mediation_room.manifest import finalise_recording
from fengqiao.mediation_room.participant import Participant
from fengqiao.mediation_room.peer import ParticipantPeer, Slot
from fengqiao.mediation_room.recorder import ParticipantRecorder, RecordingSegment
from fengqiao.mediation_room.store import (
    ChatRecord,
    EvidenceRef,
    RoomEvent,
    RoomInfo,
    RoomStatus,
    RoomStore,
)
from fengqiao.mediation_room.tokens import JoinClaims, Role
from fengqiao.typed_text import NUL_TEXT, has_nul, without_controls

logger = logging.getLogger(__name__)

MAX_CHAT_LENGTH = 2000

__all__ = ["JoinRefused", "Participant", "RoomOptions", "RoomSession"]


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


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64]


class RoomSession(SessionControls):
    def __init__(
        self, room: RoomInfo, store: RoomStore, options: RoomOptions, on_ended: Callable[[], None]
    ) -> None:
        self.room = room
        self.store = store
        self.options = options
        self._on_ended = on_ended
        self.participants: dict[str, Participant] = {}
        self.caucus_side: str | None = None
        self.caucus_since: float | None = None  # time.monotonic() when the caucus began
        self.t0 = time.monotonic()  # the recording timeline's zero
        self.started_at = datetime.now(UTC)
        self.stamp = self.started_at.strftime("%Y%m%dT%H%M%SZ")
        self.segments: list[RecordingSegment] = []
        self.timeline: list[dict[str, Any]] = []
        self.evidence: dict[str, tuple[EvidenceRef, bytes, frozenset[str]]] = {}
        self.ended = False
        self.last_seen = time.monotonic()  # last time anyone was connected
        self._targets: dict[int, list[SlotTrack]] = {}  # id(peer) -> slot tracks it feeds
        self._roster_version = 0
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

    @property
    def recording(self) -> bool:
        """True while anyone's media is being written (the page shows "录制中" only then)."""
        return any(p.recorder is not None for p in self.participants.values())

    # -- the roster: the one source of what each page shows --------------------------------
    def roster_for(self, viewer: Participant) -> dict[str, Any]:
        self._roster_version += 1
        shown: dict[str, int] = {}  # participant id -> the viewer's slot that plays them
        if viewer.peer is not None:
            for slot in viewer.peer.slots:
                if slot.participant_id is not None and slot.video.source is not None:
                    shown[slot.participant_id] = slot.index
        in_caucus = self.caucus_side is not None and self.group_of(viewer) == "caucus"
        return {
            "type": "roster",
            "version": self._roster_version,
            "you": viewer.participant_id,
            "recording": self.recording,
            "caucus": self.caucus_side,
            "in_caucus": in_caucus,
            "caucus_ms": (
                int((time.monotonic() - self.caucus_since) * 1000)
                if self.caucus_since is not None
                else None
            ),
            "participants": [
                {
                    "id": p.participant_id,
                    "role": p.role.value,
                    "role_label": p.role_label,
                    "name": p.name,
                    "label": p.label,
                    "state": p.state,
                    "muted": p.muted,
                    "reason": texts.CONSENT_REFUSED_REASON if p.refused else None,
                    "slot": shown.get(p.participant_id),
                }
                for p in self.participants.values()
            ],
        }

    async def broadcast_roster(self) -> None:
        for p in list(self.participants.values()):
            if p.online:
                await self._send(p, self.roster_for(p))

    # -- joining ---------------------------------------------------------------------------
    async def connect(
        self, claims: JoinClaims, device: str, ws: web.WebSocketResponse
    ) -> Participant:
        async with self._lock:
            if self.ended:
                raise JoinRefused("room_ended")
            p = self.participants.get(claims.participant_id)
            if p is None:
                name = await self.store.participant_name(self.room, claims.participant_id)
                p = Participant(claims.participant_id, claims.role, name=name)
                self.participants[p.participant_id] = p
            if p.online and p.device != device:
                # Same link from a second device while the first is connected: refuse.
                raise JoinRefused("in_use")
            old_ws = p.ws if p.online else None
            p.device, p.ws = device, ws
            self.last_seen = time.monotonic()
        if old_ws is not None:  # the same device reconnecting (reload, network change)
            await self._stop_media(p)
            with suppress(ConnectionError, RuntimeError):  # tell a page still open to stop
                await old_ws.send_str(json.dumps({"type": "replaced"}))
            self._close_socket(old_ws)
        await self._event("joined", p.participant_id, role=p.role.value)
        await self._send(
            p,
            {
                "type": "welcome",
                "participant_id": p.participant_id,
                "role": p.role.value,
                "label": p.label,
                "ice_servers": self.options.ice_servers,
            },
        )
        if p.removed:  # stays connected: the mediator may let them back in
            await self._send(p, {"type": "removed", "message": texts.REMOVED_WAIT})
            await self.broadcast_roster()
        elif p.consented:
            await self._after_consent(p)
        else:
            await self._send(p, {"type": "notice", "text": texts.RECORDING_NOTICE})
            await self.broadcast_roster()
        return p

    async def consent(self, p: Participant, accepted: bool) -> None:
        if p.removed:
            return
        if accepted:
            p.consented, p.refused = True, False
            # What was agreed to, provably: the hash of the exact notice the page showed.
            await self._event(
                "consent_accepted", p.participant_id, notice_sha256=texts.RECORDING_NOTICE_SHA256
            )
            await self._after_consent(p)
            return
        p.refused = True
        await self._event(
            "consent_refused", p.participant_id, reason=texts.EVENT_REASONS["consent_refused"]
        )
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
            name=p.name,
            number=p.segments,
        )
        p.recorder = ParticipantRecorder(segment, self.t0, peer.request_keyframe)

        @peer.pc.on("connectionstatechange")
        async def _state() -> None:
            if peer.pc.connectionState == "failed" and p.peer is peer:
                await self._stop_media(p)
                await self.broadcast_roster()

        offer = await peer.create_offer()
        await self._send(p, {"type": "offer", "peer": p.segments, **offer})
        self._refresh_routing()

    async def restart_media(self, p: Participant) -> None:
        """The page lost its media connection (network change): offer a fresh one."""
        if p.admitted and p.consented and not p.removed and p.online:
            await self._stop_media(p)
            await self._start_media(p)
            await self.broadcast_roster()

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
        """Point every subscriber's slots at the publishers it may see and hear. Callers
        broadcast the roster afterwards: it tells each page which slot shows whom."""
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

    # -- chat and evidence -----------------------------------------------------------------
    def _private_audience(self, p: Participant, to: str | None) -> list[Participant] | None:
        """During a caucus the side waiting still reaches the mediator, privately, and the
        mediator may answer one of them privately; None: not a private message."""
        if self.caucus_side is None:
            return None
        mediators = [m for m in self.participants.values() if m.role is Role.MEDIATOR]
        if self.group_of(p) != "caucus":
            return [p] + [m for m in mediators if m.admitted and m is not p]
        target = self.participants.get(to or "")
        if p.role is Role.MEDIATOR and target is not None and self.group_of(target) != "caucus":
            return [*mediators, target] if target.admitted else None
        return None

    async def chat(
        self, p: Participant, text: str, evidence_id: str | None = None, to: str | None = None
    ) -> None:
        if has_nul(text):
            # What the HTTP doors refuse too (fengqiao/typed_text.py): PostgreSQL cannot store
            # it, and the failed write closed the socket.
            await self._send(p, {"type": "error", "code": "invalid_text", "message": NUL_TEXT})
            return
        text = without_controls(text).strip()[:MAX_CHAT_LENGTH]
        if not text or not p.admitted or p.removed:
            return
        kind = "comment" if evidence_id else "chat"
        if evidence_id is not None and evidence_id not in self.evidence:
            return
        private_to = self._private_audience(p, to) if kind == "chat" else None
        private = private_to is not None
        audience = private_to if private_to is not None else self.audience(p)
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
            "label": p.label,
            "text": text,
            "evidence_id": evidence_id,
            "private": private,
            "to": to if private and p.role is Role.MEDIATOR else None,
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
            "label": p.label,
        }
        for other in audience:
            await self._send(other, message)
        return ref

    # -- ending ----------------------------------------------------------------------------
    async def end(self, reason: str = "ended_by_mediator") -> dict[str, Any]:
        """End the session and finalise its recording. A server shutdown (a restart, a deploy)
        ends only this process's session: the room stays open, pages reconnect on their own
        when the service is back, and a new session records from there on."""
        if self.ended:
            return {}
        self.ended = True
        final = reason != "server_shutdown"
        await self._event(
            "session_end", reason=texts.END_REASONS.get(reason, reason), reason_code=reason
        )
        for p in list(self.participants.values()) if final else []:
            await self._send(p, {"type": "ended", "text": texts.ENDED})
        for p in list(self.participants.values()):
            await self._stop_media(p)
            self._close_socket(p.ws)
        manifest = await finalise_recording(
            store=self.store,
            room=self.room,
            directory=self.options.recordings_dir / _safe(self.room.room_id),
            stamp=self.stamp,
            started_at=self.started_at,
            segments=self.segments,
            events=self.timeline,
            reason=reason,
        )
        if final:
            await self.store.set_room_status(
                self.room.room_id, RoomStatus.ENDED, datetime.now(UTC))
        self._on_ended()
        return manifest
