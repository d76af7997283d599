"""Booking's storage: every query on bookings, their slots and parties, and the mediator rows
booking reads or locks. The only booking module that opens a database session.

`BookingStore.read()` and `.transaction()` hand out a `BookingTx`: the queries of one unit of
work, bound to its session. A booking holds the mediator's time while it is pending or
confirmed; taking that hold locks the mediator row (PostgreSQL) or runs in the single writer
(SQLite), and the database refuses an overlap anyway (exclusion constraint / trigger,
migration 0004) — the transaction turns that refusal into a `Conflict`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.booking import texts
from fengqiao.booking.availability import Interval, WeeklyHours
from fengqiao.booking.errors import Conflict, NotFound
from fengqiao.booking.notices import Notice, NoticeSink
from fengqiao.booking.recommend import Candidate
from fengqiao.cases import audit, codes
from fengqiao.storage.db import Database
from fengqiao.storage.models import (
    Booking,
    BookingParty,
    BookingSlot,
    Case,
    CaseParty,
    Mediator,
    MediatorAbsence,
    MediatorHours,
    Organisation,
    PersonChannel,
)

HOLDING = ("pending", "confirmed")  # statuses that hold the mediator's time
OPEN = ("proposed", "pending", "confirmed")  # statuses that count against capacity
RESIDENT_CHANNELS = ("wxa", "mp")  # a party's WeChat channels, the one notices prefer first


@dataclass(frozen=True)
class Recipient:
    party: BookingParty
    channel: str
    openid: str


@dataclass(frozen=True)
class Details:
    """What a view of one booking needs besides the booking row."""

    case: Case
    mediator: Mediator
    slots: list[BookingSlot]
    parties: list[tuple[BookingParty, str | None]]  # with the party's name


class BookingStore:
    def __init__(self, db: Database, sink: NoticeSink) -> None:
        self.db = db
        self.sink = sink  # the outbox writer: notices join the change's transaction

    @asynccontextmanager
    async def read(self) -> AsyncIterator[BookingTx]:
        async with self.db.read() as session:
            yield BookingTx(session, self)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BookingTx]:
        """One write transaction; the database's overlap refusal becomes a Conflict."""
        try:
            async with self.db.transaction() as session:
                yield BookingTx(session, self)
        except (IntegrityError, DBAPIError) as exc:
            text = str(exc.orig if hasattr(exc, "orig") else exc)
            if "booking_overlap" in text or "ex_bookings_mediator_time" in text:
                raise Conflict("slot_taken", texts.E_SLOT_TAKEN) from None
            raise


class BookingTx:
    """The queries of one unit of work."""

    def __init__(self, session: AsyncSession, store: BookingStore) -> None:
        self.session = session
        self.store = store

    # --- cases and parties -----------------------------------------------------------------

    async def case_by_code(self, code: str) -> Case:
        canonical = codes.normalise(code)
        case = canonical and await self.session.scalar(select(Case).where(Case.code == canonical))
        if not case:
            raise NotFound("case_not_found", texts.E_CASE_NOT_FOUND)
        return case

    async def case(self, case_id: int) -> Case:
        case = await self.session.get(Case, case_id)
        assert case is not None  # bookings.case_id is a foreign key
        return case

    async def find_case(self, case_id: int) -> Case | None:
        return await self.session.get(Case, case_id)

    async def case_party(self, case_party_id: int) -> CaseParty | None:
        return await self.session.get(CaseParty, case_party_id)

    async def case_parties(self, case_id: int) -> list[CaseParty]:
        rows = await self.session.scalars(select(CaseParty).where(CaseParty.case_id == case_id))
        return list(rows.all())

    # --- bookings --------------------------------------------------------------------------

    async def booking(self, booking_id: int, *, lock: bool = False) -> Booking:
        query = select(Booking).where(Booking.id == booking_id)
        if lock and not self.store.db.is_sqlite:
            query = query.with_for_update()
        booking = await self.session.scalar(query)
        if booking is None:
            raise NotFound("booking_not_found", texts.E_NOT_FOUND)
        return booking

    async def open_booking_of(self, case_id: int) -> int | None:
        return await self.session.scalar(
            select(Booking.id).where(Booking.case_id == case_id, Booking.status.in_(OPEN))
        )

    async def bookings_of(self, case_id: int) -> list[Booking]:
        rows = await self.session.scalars(
            select(Booking).where(Booking.case_id == case_id).order_by(Booking.id.desc())
        )
        return list(rows.all())

    async def latest_of_party(self, case_id: int, case_party_id: int) -> tuple[int, int] | None:
        """(booking id, booking party id) of the case's newest booking naming this party."""
        row = (
            await self.session.execute(
                select(BookingParty.booking_id, BookingParty.id)
                .join(Booking, Booking.id == BookingParty.booking_id)
                .where(Booking.case_id == case_id, BookingParty.case_party_id == case_party_id)
                .order_by(Booking.id.desc())
                .limit(1)
            )
        ).first()
        return (int(row[0]), int(row[1])) if row is not None else None

    async def create(
        self, booking: Booking, offered: Iterable[Interval], parties: Sequence[CaseParty]
    ) -> Booking:
        """Insert a booking with its offered times and one answer row per case party."""
        self.session.add(booking)
        await self.session.flush()
        self.session.add_all(
            BookingSlot(booking_id=booking.id, starts_at=lo, ends_at=hi) for lo, hi in offered
        )
        self.session.add_all(
            BookingParty(booking_id=booking.id, case_party_id=p.id, role=p.role) for p in parties
        )
        await self.session.flush()
        return booking

    async def replace_slots(self, booking: Booking, offered: Iterable[Interval]) -> None:
        for slot in await self.slots(booking.id):
            await self.session.delete(slot)
        self.session.add_all(
            BookingSlot(booking_id=booking.id, starts_at=lo, ends_at=hi) for lo, hi in offered
        )

    async def flush(self) -> None:
        await self.session.flush()

    async def slot(self, slot_id: int) -> BookingSlot | None:
        return await self.session.get(BookingSlot, slot_id)

    async def slots(self, booking_id: int) -> list[BookingSlot]:
        rows = await self.session.scalars(
            select(BookingSlot)
            .where(BookingSlot.booking_id == booking_id)
            .order_by(BookingSlot.starts_at)
        )
        return list(rows.all())

    async def party(self, party_id: int) -> BookingParty | None:
        return await self.session.get(BookingParty, party_id)

    async def parties(self, booking_id: int) -> list[BookingParty]:
        rows = await self.session.scalars(
            select(BookingParty)
            .where(BookingParty.booking_id == booking_id)
            .order_by(BookingParty.id)
        )
        return list(rows.all())

    async def details(self, booking: Booking) -> Details:
        mediator = await self.session.get(Mediator, booking.mediator_id)
        assert mediator is not None
        party_rows = await self.session.execute(
            select(BookingParty, CaseParty.name)
            .join(CaseParty, CaseParty.id == BookingParty.case_party_id)
            .where(BookingParty.booking_id == booking.id)
            .order_by(BookingParty.id)
        )
        return Details(
            case=await self.case(booking.case_id),
            mediator=mediator,
            slots=await self.slots(booking.id),
            parties=[(p, name) for p, name in party_rows.all()],
        )

    async def recipients(self, booking_id: int) -> list[Recipient]:
        """The booking's parties WeChat can reach: one address per party, the person's
        mini-program first (the outbox falls back to their other channels, cases.reach)."""
        rows = await self.session.execute(
            select(BookingParty, PersonChannel.kind, PersonChannel.address)
            .join(CaseParty, CaseParty.id == BookingParty.case_party_id)
            .join(PersonChannel, PersonChannel.person_id == CaseParty.person_id)
            .where(BookingParty.booking_id == booking_id)
            .where(PersonChannel.kind.in_(RESIDENT_CHANNELS))
            .order_by(BookingParty.id)
        )
        best: dict[int, Recipient] = {}
        for p, c, o in sorted(
            rows.all(), key=lambda r: (r[0].id, RESIDENT_CHANNELS.index(r[1]), r[2])
        ):
            best.setdefault(p.id, Recipient(p, str(c), str(o)))
        return list(best.values())

    # --- mediators and their time ----------------------------------------------------------

    async def mediator(self, mediator_id: int) -> Mediator | None:
        return await self.session.get(Mediator, mediator_id)

    async def lock_mediator(self, mediator_id: int) -> Mediator:
        query = select(Mediator).where(Mediator.id == mediator_id)
        if not self.store.db.is_sqlite:
            # Serialises every hold on this mediator's time: the second request waits here and
            # then sees the first one's booking.
            query = query.with_for_update()
        mediator = await self.session.scalar(query)
        if mediator is None:
            raise NotFound("mediator_not_found", texts.E_MEDIATOR_NOT_FOUND)
        return mediator

    async def mediator_by_feed(self, token: str) -> Mediator | None:
        return await self.session.scalar(select(Mediator).where(Mediator.ics_token == token))

    async def open_count(self, mediator_id: int) -> int:
        found = await self.session.scalar(
            select(func.count()).where(Booking.mediator_id == mediator_id, Booking.status.in_(OPEN))
        )
        return int(found or 0)

    async def place_of(self, mediator: Mediator) -> str | None:
        """Where the mediator's organisation sits: its address, or else its name."""
        if mediator.organisation_id is None:
            return None
        org = await self.session.get(Organisation, mediator.organisation_id)
        return (org.address or org.name) if org else None

    async def weekly_hours(self, mediator_ids: Sequence[int]) -> dict[int, list[WeeklyHours]]:
        hours: dict[int, list[WeeklyHours]] = {i: [] for i in mediator_ids}
        for h in await self.session.scalars(
            select(MediatorHours).where(MediatorHours.mediator_id.in_(list(mediator_ids)))
        ):
            hours[h.mediator_id].append(WeeklyHours(h.weekday, h.start_minute, h.end_minute))
        return hours

    async def busy(
        self,
        mediator_ids: Sequence[int],
        start: datetime,
        end: datetime,
        ignore_booking: int | None = None,
    ) -> dict[int, list[Interval]]:
        """Absences and held bookings of each mediator that overlap [start, end)."""
        ids = list(mediator_ids)
        busy: dict[int, list[Interval]] = {i: [] for i in ids}
        absences = await self.session.scalars(
            select(MediatorAbsence).where(
                MediatorAbsence.mediator_id.in_(ids),
                MediatorAbsence.starts_at < end,
                MediatorAbsence.ends_at > start,
            )
        )
        for a in absences:
            busy[a.mediator_id].append((a.starts_at, a.ends_at))
        held = await self.session.execute(
            select(Booking.id, Booking.mediator_id, Booking.starts_at, Booking.ends_at).where(
                Booking.mediator_id.in_(ids),
                Booking.status.in_(HOLDING),
                Booking.starts_at < end,
                Booking.ends_at > start,
            )
        )
        for bid, mid, lo, hi in held.all():
            if bid != ignore_booking and lo is not None and hi is not None:
                busy[mid].append((lo, hi))
        return busy

    async def holder(
        self, mediator_id: int, start: datetime, end: datetime, ignore: int | None
    ) -> int | None:
        """A booking other than `ignore` that holds some of this time."""
        return await self.session.scalar(
            select(Booking.id).where(
                Booking.mediator_id == mediator_id,
                Booking.status.in_(HOLDING),
                Booking.starts_at < end,
                Booking.ends_at > start,
                Booking.id != (ignore or 0),
            )
        )

    async def candidates(self) -> list[Candidate]:
        """Active mediators with their open bookings and ratings, for recommending."""
        open_counts = dict(
            (
                await self.session.execute(
                    select(Booking.mediator_id, func.count())
                    .where(Booking.status.in_(OPEN))
                    .group_by(Booking.mediator_id)
                )
            ).all()
        )
        ratings = {
            mid: (float(total or 0), int(count))
            for mid, total, count in (
                await self.session.execute(
                    select(Booking.mediator_id, func.sum(Booking.satisfaction), func.count())
                    .where(Booking.satisfaction.is_not(None))
                    .group_by(Booking.mediator_id)
                )
            ).all()
        }
        rows = await self.session.execute(
            select(Mediator, Organisation.name, Organisation.code)
            .outerjoin(Organisation, Organisation.id == Mediator.organisation_id)
            .where(Mediator.status == "active")
        )
        out = []
        for m, org_name, org_code in rows.all():
            total, count = ratings.get(m.id, (0.0, 0))
            out.append(
                Candidate(
                    id=m.id,
                    name=m.name,
                    organisation=org_name,
                    organisation_code=org_code,
                    skills=list(m.skills or []),
                    languages=list(m.languages or []),
                    region=m.region,
                    capacity=m.capacity,
                    open_bookings=int(open_counts.get(m.id, 0)),
                    rating=m.rating,
                    ratings_sum=total,
                    ratings_count=count,
                )
            )
        return out

    # --- calendars and reports -------------------------------------------------------------

    async def calendar(self, mediator_id: int, start: datetime, end: datetime) -> list[Booking]:
        """A mediator's bookings that overlap [start, end) or still wait for a time."""
        rows = await self.session.scalars(
            select(Booking)
            .where(Booking.mediator_id == mediator_id)
            .where(
                ((Booking.starts_at < end) & (Booking.ends_at > start))
                | (Booking.status == "proposed")
            )
            .order_by(Booking.starts_at.is_(None), Booking.starts_at, Booking.id)
        )
        return list(rows.all())

    async def completed(
        self, mediator_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, datetime]]:
        """(case id, completed at) of the mediator's sessions finished in [start, end)."""
        rows = await self.session.execute(
            select(Booking.case_id, Booking.completed_at).where(
                Booking.mediator_id == mediator_id,
                Booking.status == "completed",
                Booking.completed_at >= start,
                Booking.completed_at < end,
            )
        )
        return [(int(case_id), done) for case_id, done in rows.all() if done is not None]

    # --- the audit log and the outbox, in this transaction ---------------------------------

    async def audit(
        self,
        case_id: int,
        actor: str,
        action: str,
        detail: dict[str, Any],
        at: datetime | None = None,
    ) -> None:
        await audit.append(
            self.session, case_id=case_id, actor=actor, action=action, detail=detail, at=at
        )

    async def queue(self, notices: list[Notice]) -> int:
        return await self.store.sink.queue(self.session, notices)

    async def withdraw(self, key_prefix: str) -> int:
        return await self.store.sink.withdraw(self.session, key_prefix)
