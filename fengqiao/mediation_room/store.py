"""What the mediation room needs from persistence, as a Protocol the SQL layer implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from fengqiao.mediation_room.tokens import Role

# Parties may arrive this long before the booked start and stay this long after its end.
JOIN_MARGIN = timedelta(minutes=30)


class RoomStatus(StrEnum):
    SCHEDULED = "scheduled"  # booked, nobody has opened it yet
    OPEN = "open"  # a session is running
    ENDED = "ended"  # the mediator ended it (or it was abandoned); recording finalised
    EXPIRED = "expired"  # nobody joined within the window


@dataclass(frozen=True)
class RoomInfo:
    room_id: str
    case_id: str
    starts_at: datetime  # booked start (aware)
    ends_at: datetime  # booked end (aware)
    status: RoomStatus

    def window_for(self, role: Role) -> tuple[datetime | None, datetime]:
        """(earliest, latest) join time; None means no lower bound (the mediator opens early)."""
        earliest = None if role is Role.MEDIATOR else self.starts_at - JOIN_MARGIN
        return earliest, self.ends_at + JOIN_MARGIN


@dataclass(frozen=True)
class ParticipantRef:
    participant_id: str
    role: Role


@dataclass(frozen=True)
class ChatRecord:
    room_id: str
    case_id: str
    participant_id: str
    role: Role
    text: str
    sent_at: datetime
    # "chat" for text chat, "comment" for 质证 on a shown piece of evidence.
    kind: str = "chat"
    evidence_id: str | None = None
    # Who could read it: everyone, or only the caucus group when sent during a caucus.
    audience: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceRef:
    evidence_id: str
    filename: str
    content_type: str  # as sniffed by the evidence service, e.g. "image/jpeg", "application/pdf"


@dataclass(frozen=True)
class RecordedFile:
    path: Path
    sha256: str
    size: int
    title: str = ""  # what a reviewer reads: whose, which segment, how long


@dataclass(frozen=True)
class RoomEvent:
    room_id: str
    case_id: str
    kind: str  # consent_accepted, consent_refused, admitted, removed, caucus_start, caucus_end...
    at: datetime
    participant_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class RoomStore(Protocol):
    async def get_room(self, room_id: str) -> RoomInfo | None: ...

    async def set_room_status(self, room_id: str, status: RoomStatus, at: datetime) -> None: ...

    async def participant_name(self, room: RoomInfo, participant_id: str) -> str:
        """The person's name as the case knows it (shown in the room and on recordings)."""
        ...

    async def expire_rooms(self, now: datetime) -> list[str]:
        """Mark SCHEDULED rooms whose join window has passed as EXPIRED; return their ids."""
        ...

    async def save_chat_message(self, message: ChatRecord) -> None: ...

    async def save_room_event(self, event: RoomEvent) -> None:
        """Consent, admission, removal, caucus and end events, for the case's audit trail."""
        ...

    async def on_evidence(
        self, room: RoomInfo, participant: ParticipantRef, filename: str, data: bytes
    ) -> EvidenceRef:
        """Store a file shown in the room as case evidence (the evidence service sniffs type)."""
        ...

    async def save_recording(
        self, room: RoomInfo, manifest: dict[str, Any], files: list[RecordedFile]
    ) -> None:
        """Attach the finished recording (files with SHA-256, manifest first) to the case."""
        ...
