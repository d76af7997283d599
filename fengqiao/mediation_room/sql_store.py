"""The mediation room's persistence on the service's database: rooms belong to bookings;
events go to the case's audit log; evidence goes through the one evidence service; recordings
are case files whose bytes stay where the recorder wrote them, inside the file store."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select, update

from fengqiao import keys
from fengqiao.cases import audit
from fengqiao.documents.errors import DocumentError
from fengqiao.documents.viewer import party_viewer, staff_viewer
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
from fengqiao.mediation_room.tokens import Role, build_join_link, issue_join_token
from fengqiao.storage.db import Database
from fengqiao.storage.models import (
    Booking,
    BookingParty,
    Case,
    CaseFile,
    CaseParty,
    Mediator,
    Room,
    RoomMessage,
    utcnow,
)

PARTY_ROLES = {"applicant": Role.PARTY_A, "respondent": Role.PARTY_B}


class RoomNotAvailable(LookupError):
    """The booking has no time yet, or does not exist."""


def _info(room: Room) -> RoomInfo:
    return RoomInfo(
        room.id, str(room.case_id), room.starts_at, room.ends_at, RoomStatus(room.status)
    )


class SqlRoomStore:
    """Reaches the database and documents through the app: the room's routes are registered
    before the services exist (they are built when the app starts)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    @property
    def db(self) -> Database:
        return self.app[keys.DB]

    @property
    def documents(self) -> Any:
        return self.app[keys.DOCUMENTS]

    @property
    def files_root(self) -> Path:
        return (self.app[keys.SETTINGS].data_dir / "files").resolve()

    async def get_room(self, room_id: str) -> RoomInfo | None:
        async with self.db.read() as session:
            room = await session.get(Room, room_id)
            return _info(room) if room else None

    async def set_room_status(self, room_id: str, status: RoomStatus, at: datetime) -> None:
        async with self.db.transaction() as session:
            room = await session.get(Room, room_id)
            if room is None or room.status == status.value:
                return
            room.status, room.updated_at = status.value, at
            await audit.append(
                session,
                case_id=room.case_id,
                actor="room",
                at=at,
                action="room.status",
                detail={"room": room_id, "to": status.value},
            )

    async def participant_name(self, room: RoomInfo, participant_id: str) -> str:
        kind, _, ident = participant_id.partition(":")
        if not ident.isdigit():
            return ""
        async with self.db.read() as session:
            if kind == "party":
                name = await session.scalar(
                    select(CaseParty.name).where(
                        CaseParty.id == int(ident), CaseParty.case_id == int(room.case_id)
                    )
                )
            elif kind == "mediator":
                name = await session.scalar(select(Mediator.name).where(Mediator.id == int(ident)))
            else:
                name = None
        return name or ""

    async def expire_rooms(self, now: datetime) -> list[str]:
        async with self.db.transaction() as session:
            ids = list(
                (
                    await session.scalars(
                        select(Room.id).where(
                            Room.status == RoomStatus.SCHEDULED.value,
                            Room.ends_at < now - JOIN_MARGIN,
                        )
                    )
                ).all()
            )
            if ids:
                await session.execute(
                    update(Room)
                    .where(Room.id.in_(ids))
                    .values(status=RoomStatus.EXPIRED.value, updated_at=now)
                )
            return ids

    async def save_chat_message(self, message: ChatRecord) -> None:
        async with self.db.transaction() as session:
            session.add(
                RoomMessage(
                    room_id=message.room_id,
                    case_id=int(message.case_id),
                    participant_id=message.participant_id,
                    role=message.role.value,
                    kind=message.kind,
                    text=message.text,
                    evidence_id=message.evidence_id,
                    audience=list(message.audience),
                    sent_at=message.sent_at,
                )
            )

    async def save_room_event(self, event: RoomEvent) -> None:
        async with self.db.transaction() as session:
            await audit.append(
                session,
                case_id=int(event.case_id),
                actor=f"room:{event.participant_id or '-'}",
                action=f"room.{event.kind}"[:48],
                at=event.at,
                detail={"room": event.room_id, **event.detail},
            )

    async def on_evidence(
        self, room: RoomInfo, participant: ParticipantRef, filename: str, data: bytes
    ) -> EvidenceRef:
        kind, _, ident = participant.participant_id.partition(":")
        if kind == "party" and ident.isdigit():
            viewer = party_viewer(int(room.case_id), int(ident), "", frozenset({"evidence"}))
        else:
            viewer = staff_viewer(participant.participant_id, participant.role.value)
        async with self.db.read() as session:
            code = await session.scalar(select(Case.code).where(Case.id == int(room.case_id)))
        try:
            stored = await self.documents.evidence.upload(
                code, viewer, data, filename, channel="room"
            )
        except DocumentError as exc:
            raise ValueError(exc.message) from exc
        return EvidenceRef(str(stored["id"]), stored["name"] or filename, stored["mime"])

    async def save_recording(
        self, room: RoomInfo, manifest: dict[str, Any], files: list[RecordedFile]
    ) -> None:
        now = utcnow()
        async with self.db.transaction() as session:
            for item in files:
                key = item.path.resolve().relative_to(self.files_root).as_posix()
                if await session.scalar(select(CaseFile.id).where(CaseFile.file_key == key)):
                    continue  # a session ended twice (reload, sweep) records once
                mime = "application/json" if item.path.suffix == ".json" else "video/webm"
                session.add(
                    CaseFile(
                        case_id=int(room.case_id),
                        kind="recording",
                        file_key=key,
                        sha256=item.sha256,
                        mime=mime,
                        size=item.size,
                        # What the case's file list shows: whose, which segment, how long.
                        original_name=f"{item.title}{item.path.suffix}"[:255]
                        if item.title
                        else item.path.name,
                        submitted_by=f"room:{room.room_id}",
                        visibility="mediator",
                        created_at=now,
                    )
                )
            await audit.append(
                session,
                case_id=int(room.case_id),
                actor="room",
                action="room.recording",
                at=now,
                detail={"room": room.room_id, "files": {f.path.name: f.sha256 for f in files}},
            )


class RoomService:
    """Rooms for bookings and the join link of everyone taking part."""

    def __init__(self, db: Database, secret: bytes, public_url: str) -> None:
        self.db = db
        self.secret = secret
        self.public_url = public_url

    async def room_for_booking(self, booking_id: int) -> str:
        """The booking's room, made on first call (idempotent)."""
        async with self.db.transaction() as session:
            room = await session.scalar(select(Room).where(Room.booking_id == booking_id))
            booking = await session.get(Booking, booking_id)
            if booking is None or booking.starts_at is None or booking.ends_at is None:
                raise RoomNotAvailable(booking_id)
            if room is None:
                room = Room(
                    id=secrets.token_urlsafe(12),
                    booking_id=booking_id,
                    case_id=booking.case_id,
                    starts_at=booking.starts_at,
                    ends_at=booking.ends_at,
                    status=RoomStatus.SCHEDULED.value,
                )
                session.add(room)
                await session.flush()
                await audit.append(
                    session,
                    case_id=booking.case_id,
                    actor="system",
                    action="room.created",
                    detail={"room": room.id, "booking": booking_id},
                )
            elif (room.starts_at, room.ends_at) != (booking.starts_at, booking.ends_at):
                room.starts_at, room.ends_at = booking.starts_at, booking.ends_at  # rescheduled
            return room.id

    async def links(self, booking_id: int) -> dict[str, dict[str, str]]:
        """{participant_id: {"role", "name", "url"}} for the mediator and each party."""
        room_id = await self.room_for_booking(booking_id)
        async with self.db.read() as session:
            room = await session.get(Room, room_id)
            booking = await session.get(Booking, booking_id)
            assert room is not None and booking is not None
            mediator = await session.get(Mediator, booking.mediator_id)
            parties = (
                await session.execute(
                    select(CaseParty.id, CaseParty.role, CaseParty.name)
                    .join(BookingParty, BookingParty.case_party_id == CaseParty.id)
                    .where(BookingParty.booking_id == booking_id)
                    .order_by(CaseParty.id)
                )
            ).all()
        people = [
            (
                f"mediator:{booking.mediator_id}",
                Role.MEDIATOR,
                mediator.name if mediator else "调解员",
            )
        ]
        people += [
            (f"party:{pid}", PARTY_ROLES.get(role, Role.OBSERVER), name or "")
            for pid, role, name in parties
        ]
        until = room.ends_at + JOIN_MARGIN
        out = {}
        for participant_id, role, name in people:
            since = room.starts_at - (timedelta(hours=12) if role is Role.MEDIATOR else JOIN_MARGIN)
            token = issue_join_token(
                self.secret, room.id, str(room.case_id), role, participant_id, since, until
            )
            out[participant_id] = {
                "role": role.value,
                "name": name,
                "url": build_join_link(self.public_url, room.id, token),
            }
        return out


    async def party_link(
        self, booking_id: int, case_party_id: int, now: datetime
    ) -> dict[str, str] | None:
        """One party's own join link, only while the room's window is open (from
        JOIN_MARGIN before the start to JOIN_MARGIN after the end) for a video booking that
        holds its time; None otherwise. The room is made on first call, like ``links``."""
        async with self.db.read() as session:
            booking = await session.get(Booking, booking_id)
        if (
            booking is None
            or booking.mode != "video"
            or booking.status not in ("pending", "confirmed")
            or booking.starts_at is None
            or booking.ends_at is None
            or not booking.starts_at - JOIN_MARGIN <= now <= booking.ends_at + JOIN_MARGIN
        ):
            return None
        found = (await self.links(booking_id)).get(f"party:{case_party_id}")
        if found is None:
            return None
        return {
            **found,
            "opens_at": (booking.starts_at - JOIN_MARGIN).isoformat(),
            "closes_at": (booking.ends_at + JOIN_MARGIN).isoformat(),
        }


async def booking_mediator_username(db: Database, booking_id: int) -> str | None:
    """The console username of the booking's mediator: only they get the mediator's link."""
    async with db.read() as session:
        return await session.scalar(
            select(Mediator.username)
            .join(Booking, Booking.mediator_id == Mediator.id)
            .where(Booking.id == booking_id)
        )
