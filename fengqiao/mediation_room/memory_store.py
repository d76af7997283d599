"""In-memory RoomStore for tests and for running the room without a database."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from fengqiao.mediation_room.store import (
    JOIN_MARGIN,
    ChatRecord,
    EvidenceRef,
    ParticipantRef,
    RecordedFile,
    RoomEvent,
    RoomInfo,
    RoomStatus,
)


class InMemoryRoomStore:
    def __init__(self) -> None:
        self.rooms: dict[str, RoomInfo] = {}
        self.chat: list[ChatRecord] = []
        self.events: list[RoomEvent] = []
        self.evidence: dict[str, tuple[EvidenceRef, bytes, ParticipantRef]] = {}
        self.recordings: dict[str, tuple[dict[str, Any], list[RecordedFile]]] = {}
        self.names: dict[str, str] = {}  # participant id -> name

    def add_room(self, room: RoomInfo) -> None:
        self.rooms[room.room_id] = room

    async def get_room(self, room_id: str) -> RoomInfo | None:
        return self.rooms.get(room_id)

    async def set_room_status(self, room_id: str, status: RoomStatus, at: datetime) -> None:
        self.rooms[room_id] = replace(self.rooms[room_id], status=status)

    async def participant_name(self, room: RoomInfo, participant_id: str) -> str:
        return self.names.get(participant_id, "")

    async def expire_rooms(self, now: datetime) -> list[str]:
        expired = [
            r.room_id
            for r in self.rooms.values()
            if r.status is RoomStatus.SCHEDULED and now > r.ends_at + JOIN_MARGIN
        ]
        for room_id in expired:
            await self.set_room_status(room_id, RoomStatus.EXPIRED, now)
        return expired

    async def save_chat_message(self, message: ChatRecord) -> None:
        self.chat.append(message)

    async def save_room_event(self, event: RoomEvent) -> None:
        self.events.append(event)

    async def on_evidence(
        self, room: RoomInfo, participant: ParticipantRef, filename: str, data: bytes
    ) -> EvidenceRef:
        # The real evidence service sniffs magic bytes; this stand-in does the two we accept.
        if data.startswith(b"%PDF-"):
            content_type = "application/pdf"
        elif data.startswith(b"\x89PNG"):
            content_type = "image/png"
        elif data.startswith(b"\xff\xd8\xff"):
            content_type = "image/jpeg"
        else:
            raise ValueError("unsupported evidence type")
        evidence_id = hashlib.sha256(data).hexdigest()[:16]
        ref = EvidenceRef(evidence_id=evidence_id, filename=filename, content_type=content_type)
        self.evidence[evidence_id] = (ref, data, participant)
        return ref

    async def save_recording(
        self, room: RoomInfo, manifest: dict[str, Any], files: list[RecordedFile]
    ) -> None:
        self.recordings[room.room_id] = (manifest, files)
