"""Which case a thing belongs to, and who handles that case: what the access policy needs to
decide (fengqiao/policy.py). One query per lookup; nothing here knows of HTTP."""

from __future__ import annotations

from sqlalchemy import select

from fengqiao.cases import codes
from fengqiao.cases.identity import persons_of_openid
from fengqiao.policy import CaseScope
from fengqiao.storage.db import Database
from fengqiao.storage.models import (
    Booking,
    Case,
    CaseFile,
    CaseParty,
    CaseState,
    CaseTask,
    Document,
    Mediator,
    Room,
)

# Bookings that no longer tie a mediator to the case.
_ENDED = ("cancelled", "declined", "expired")


class CaseScopes:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_code(self, code: str) -> CaseScope | None:
        canonical = codes.normalise(code) or code.strip().upper()
        return await self._scope(select(Case.id).where(Case.code == canonical))

    async def by_id(self, case_id: int) -> CaseScope | None:
        return await self._scope(select(Case.id).where(Case.id == case_id))

    async def by_document(self, code: str) -> CaseScope | None:
        canonical = codes.normalise_document(code) or code
        return await self._scope(select(Document.case_id).where(Document.code == canonical))

    async def by_file(self, file_id: int) -> CaseScope | None:
        return await self._scope(select(CaseFile.case_id).where(CaseFile.id == file_id))

    async def by_booking(self, booking_id: int) -> CaseScope | None:
        return await self._scope(select(Booking.case_id).where(Booking.id == booking_id))

    async def by_room(self, room_id: str) -> CaseScope | None:
        return await self._scope(select(Room.case_id).where(Room.id == room_id))

    async def party_of_openid(self, case_id: int, openid: str) -> int | None:
        """The party of ``case_id`` whose person has this mini-program or official-account
        openid, if any: a case filed on the official account is found from the mini-program
        of the same person (cases.identity)."""
        async with self.db.read() as session:
            found = await session.scalar(
                select(CaseParty.id)
                .where(
                    CaseParty.case_id == case_id,
                    CaseParty.person_id.in_(persons_of_openid(openid)),
                )
                .order_by(CaseParty.id)
                .limit(1)
            )
        return int(found) if found is not None else None

    async def link_generation(self, party_id: int) -> int | None:
        """The generation of the party's case link (cases.case_link), None for no such party."""
        async with self.db.read() as session:
            found = await session.scalar(
                select(CaseParty.link_generation).where(CaseParty.id == party_id)
            )
        return int(found) if found is not None else None

    async def party_name(self, party_id: int) -> str:
        async with self.db.read() as session:
            name = await session.scalar(select(CaseParty.name).where(CaseParty.id == party_id))
        return name or ""

    async def _scope(self, case_id_query: object) -> CaseScope | None:
        async with self.db.read() as session:
            case_id = await session.scalar(case_id_query)  # type: ignore[call-overload]
            if case_id is None:
                return None
            case = (
                await session.execute(
                    select(Case.id, Case.code, Case.organisation, CaseState.assignee)
                    .outerjoin(CaseState, CaseState.case_id == Case.id)
                    .where(Case.id == case_id)
                )
            ).first()
            if case is None:
                return None
            departments = (
                await session.scalars(
                    select(CaseTask.department).where(CaseTask.case_id == case_id)
                )
            ).all()
            mediators = (
                await session.scalars(
                    select(Mediator.username)
                    .join(Booking, Booking.mediator_id == Mediator.id)
                    .where(Booking.case_id == case_id, Booking.status.not_in(_ENDED))
                )
            ).all()
        assignees = {m for m in mediators if m}
        if case.assignee:
            assignees.add(case.assignee)
        return CaseScope(
            id=int(case.id),
            code=case.code,
            organisation=case.organisation,
            departments=frozenset(departments),
            assignees=frozenset(assignees),
        )
