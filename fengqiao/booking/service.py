"""The booking service: recommend, propose, confirm, accept, reschedule, cancel, record.

Every change is one transaction that also appends to the case's audit log and queues its
notices. A booking holds the mediator's time while it is pending or confirmed; taking that
hold locks the mediator row (PostgreSQL) or runs in the single writer (SQLite), and the
database refuses an overlap anyway (exclusion constraint / trigger, migration 0004).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.booking import recommend as ranking
from fengqiao.booking import texts
from fengqiao.booking.availability import (
    Interval,
    WeeklyHours,
    slots,
    spread,
    subtract,
    working_intervals,
)
from fengqiao.booking.config import BookingConfig
from fengqiao.booking.notices import Notice, NoticeSink
from fengqiao.booking.registry import Registry
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
    Person,
    utcnow,
)
from fengqiao.tokens import AccessDenied, issue_token, verify_token

HOLDING = ("pending", "confirmed")
OPEN = ("proposed", "pending", "confirmed")
RESIDENT_CHANNELS = ("mp", "wxa")


class BookingError(Exception):
    """A rule said no; `status` is the HTTP status an edge should answer with."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(BookingError):
    status = 404


class Conflict(BookingError):
    status = 409


class Forbidden(BookingError):
    status = 403


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, a mediator (their registry id), or a party by signed link."""

    name: str
    mediator_id: int | None = None
    party_id: int | None = None
    staff: bool = False


def local_text(moment: datetime, config: BookingConfig) -> str:
    local = moment.astimezone(config.tz)
    return f"{local:%Y年%m月%d日} {texts.WEEKDAY_NAMES[local.weekday()]} {local:%H:%M}"


class BookingService:
    def __init__(
        self,
        db: Database,
        config: BookingConfig,
        notices: NoticeSink,
        *,
        secret: bytes,
        public_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.config = config
        self.notices = notices
        self.secret = secret
        self.base = public_url.rstrip("/")
        self.clock = clock
        self.registry = Registry(db)

    # --- reading ---------------------------------------------------------------------------

    async def _case(self, session: AsyncSession, code: str) -> Case:
        canonical = codes.normalise(code)
        case = canonical and await session.scalar(select(Case).where(Case.code == canonical))
        if not case:
            raise NotFound("case_not_found", texts.E_CASE_NOT_FOUND)
        return case

    async def _booking(self, session: AsyncSession, booking_id: int, lock: bool = False) -> Booking:
        query = select(Booking).where(Booking.id == booking_id)
        if lock and not self.db.is_sqlite:
            query = query.with_for_update()
        booking = await session.scalar(query)
        if booking is None:
            raise NotFound("booking_not_found", texts.E_NOT_FOUND)
        return booking

    async def _lock_mediator(self, session: AsyncSession, mediator_id: int) -> Mediator:
        query = select(Mediator).where(Mediator.id == mediator_id)
        if not self.db.is_sqlite:
            # Serialises every hold on this mediator's time: the second request waits here and
            # then sees the first one's booking.
            query = query.with_for_update()
        mediator = await session.scalar(query)
        if mediator is None:
            raise NotFound("mediator_not_found", texts.E_MEDIATOR_NOT_FOUND)
        return mediator

    async def free_time(
        self,
        session: AsyncSession,
        mediator_ids: Sequence[int],
        start: datetime,
        end: datetime,
        *,
        ignore_booking: int | None = None,
    ) -> dict[int, list[Interval]]:
        """Free intervals of each mediator between start and end."""
        ids = list(mediator_ids)
        hours: dict[int, list[WeeklyHours]] = {i: [] for i in ids}
        busy: dict[int, list[Interval]] = {i: [] for i in ids}
        for h in await session.scalars(
            select(MediatorHours).where(MediatorHours.mediator_id.in_(ids))
        ):
            hours[h.mediator_id].append(WeeklyHours(h.weekday, h.start_minute, h.end_minute))
        absences = await session.scalars(
            select(MediatorAbsence).where(
                MediatorAbsence.mediator_id.in_(ids),
                MediatorAbsence.starts_at < end,
                MediatorAbsence.ends_at > start,
            )
        )
        for a in absences:
            busy[a.mediator_id].append((a.starts_at, a.ends_at))
        held = await session.execute(
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
        return {
            i: subtract(working_intervals(hours[i], start, end, self.config), busy[i]) for i in ids
        }

    def _window(self, now: datetime) -> tuple[datetime, datetime]:
        start = now + timedelta(hours=self.config.lead_hours)
        return start, start + timedelta(days=self.config.horizon_days)

    async def open_slots(self, mediator_id: int, limit: int = 20) -> list[Interval]:
        start, end = self._window(self.clock())
        async with self.db.read() as session:
            free = await self.free_time(session, [mediator_id], start, end)
        return slots(free[mediator_id], self.config, limit)

    # --- recommendation --------------------------------------------------------------------

    async def recommend(
        self,
        code: str,
        *,
        language: str | None = None,
        remote: bool | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        now = self.clock()
        limit = limit or self.config.recommend_top
        async with self.db.read() as session:
            case = await self._case(session, code)
            answers = case.answers if isinstance(case.answers, dict) else {}
            needs = ranking.CaseNeeds(
                type_code=case.type_code,
                type_name=case.type_name,
                region=case.region,
                language=language or answers.get("language"),
                remote=bool(remote if remote is not None else answers.get("remote")),
                organisation=case.organisation,
            )
            candidates = await self._candidates(session)
            static = [
                ranking.score_static(c, needs, self.config)
                for c in candidates
                if ranking.eligible(c)
            ]
            static.sort(key=lambda s: -s.score)
            short = static[: max(limit * 4, 20)]
            start, end = self._window(now)
            free = await self.free_time(session, [s.candidate.id for s in short], start, end)
        for s in short:
            first = slots(free[s.candidate.id], self.config, 1)
            ranking.add_availability(s, first[0][0] if first else None, now, self.config)
        short.sort(key=lambda s: (-s.score, s.candidate.id))
        return {
            "case": case.code,
            "needs": {
                "type": needs.type_code,
                "type_name": needs.type_name,
                "region": needs.region,
                "language": needs.language,
                "remote": needs.remote,
            },
            "mediators": [self._scored_view(s) for s in short[:limit]],
        }

    def _scored_view(self, s: ranking.Scored) -> dict[str, Any]:
        c = s.candidate
        return {
            "id": c.id,
            "name": c.name,
            "organisation": c.organisation,
            "languages": c.languages,
            "region": c.region,
            "score": s.score,
            "components": {k: round(v, 3) for k, v in s.components.items()},
            "reasons": s.reasons,
            "first_slot": self._iso(s.first_slot),
        }

    async def _candidates(self, session: AsyncSession) -> list[ranking.Candidate]:
        open_counts = dict(
            (
                await session.execute(
                    select(Booking.mediator_id, func.count())
                    .where(Booking.status.in_(OPEN))
                    .group_by(Booking.mediator_id)
                )
            ).all()
        )
        ratings = {
            mid: (float(total or 0), int(count))
            for mid, total, count in (
                await session.execute(
                    select(Booking.mediator_id, func.sum(Booking.satisfaction), func.count())
                    .where(Booking.satisfaction.is_not(None))
                    .group_by(Booking.mediator_id)
                )
            ).all()
        }
        rows = await session.execute(
            select(Mediator, Organisation.name, Organisation.code)
            .outerjoin(Organisation, Organisation.id == Mediator.organisation_id)
            .where(Mediator.status == "active")
        )
        out = []
        for m, org_name, org_code in rows.all():
            total, count = ratings.get(m.id, (0.0, 0))
            out.append(
                ranking.Candidate(
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

    # --- arranging -------------------------------------------------------------------------

    async def propose(
        self,
        code: str,
        mediator_id: int,
        actor: Actor,
        *,
        times: list[datetime] | None = None,
        mode: str = "onsite",
        place: str | None = None,
    ) -> dict[str, Any]:
        """Offer times to the parties; nothing is held until a party picks one."""
        now = self.clock()
        async with self.db.transaction() as session:
            case = await self._case(session, code)
            mediator = await self._lock_mediator(session, mediator_id)
            await self._check_mediator(session, mediator)
            await self._no_open_booking(session, case.id)
            offered = await self._offer(session, mediator.id, now, times)
            parties = (
                await session.scalars(select(CaseParty).where(CaseParty.case_id == case.id))
            ).all()
            if not parties:
                raise BookingError("no_parties", texts.E_NO_PARTIES)
            booking = Booking(
                case_id=case.id,
                mediator_id=mediator.id,
                status="proposed",
                mode=mode if mode in texts.MODE_NAMES else "onsite",
                place=place or await self._default_place(session, mediator),
                version=1,
                created_by=actor.name,
                created_at=now,
                updated_at=now,
            )
            session.add(booking)
            await session.flush()
            session.add_all(
                BookingSlot(booking_id=booking.id, starts_at=lo, ends_at=hi) for lo, hi in offered
            )
            session.add_all(
                BookingParty(booking_id=booking.id, case_party_id=p.id, role=p.role)
                for p in parties
            )
            await session.flush()
            await audit.append(
                session,
                case_id=case.id,
                actor=actor.name,
                action="booking.proposed",
                detail={
                    "booking": booking.id,
                    "mediator": mediator.code,
                    "slots": [lo.isoformat() for lo, _ in offered],
                },
                at=now,
            )
            await self._notify_parties(session, booking, case, "proposed", texts.N_PROPOSED, now)
            return await self._view(session, booking)

    async def book(
        self,
        code: str,
        mediator_id: int,
        starts_at: datetime,
        actor: Actor,
        *,
        mode: str = "onsite",
        place: str | None = None,
    ) -> dict[str, Any]:
        """Fix a time at once (staff arranging by phone): the parties still confirm it."""
        now = self.clock()
        ends_at = starts_at + timedelta(minutes=self.config.slot_minutes)
        async with self._holding():
            async with self.db.transaction() as session:
                case = await self._case(session, code)
                mediator = await self._lock_mediator(session, mediator_id)
                await self._check_mediator(session, mediator)
                await self._no_open_booking(session, case.id)
                await self._check_free(session, mediator.id, starts_at, ends_at, None, now)
                booking = Booking(
                    case_id=case.id,
                    mediator_id=mediator.id,
                    status="pending",
                    starts_at=starts_at,
                    ends_at=ends_at,
                    mode=mode if mode in texts.MODE_NAMES else "onsite",
                    place=place or await self._default_place(session, mediator),
                    version=1,
                    created_by=actor.name,
                    created_at=now,
                    updated_at=now,
                )
                session.add(booking)
                await session.flush()
                session.add(
                    BookingSlot(booking_id=booking.id, starts_at=starts_at, ends_at=ends_at)
                )
                parties = (
                    await session.scalars(select(CaseParty).where(CaseParty.case_id == case.id))
                ).all()
                session.add_all(
                    BookingParty(booking_id=booking.id, case_party_id=p.id, role=p.role)
                    for p in parties
                )
                await session.flush()
                await audit.append(
                    session,
                    case_id=case.id,
                    actor=actor.name,
                    action="booking.booked",
                    detail={
                        "booking": booking.id,
                        "mediator": mediator.code,
                        "starts_at": starts_at.isoformat(),
                    },
                    at=now,
                )
                when = local_text(starts_at, self.config)
                await self._notify_parties(
                    session, booking, case, "fixed", texts.N_TIME_FIXED.format(when=when), now
                )
                await self._notify_mediator(session, booking, case, mediator, now)
                return await self._view(session, booking)

    def _holding(self) -> Any:
        """Turns the database's overlap refusal into a Conflict the edges can show."""
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def guard() -> Any:
            try:
                yield
            except (IntegrityError, DBAPIError) as exc:
                text = str(exc.orig if hasattr(exc, "orig") else exc)
                if "booking_overlap" in text or "ex_bookings_mediator_time" in text:
                    raise Conflict("slot_taken", texts.E_SLOT_TAKEN) from None
                raise

        return guard()

    async def choose(
        self, booking_id: int, actor: Actor, slot_id: int, *, consent: bool
    ) -> dict[str, Any]:
        """A party picks one of the offered times (and consents to mediation)."""
        now = self.clock()
        async with self._holding():
            async with self.db.transaction() as session:
                booking = await self._booking(session, booking_id, lock=True)
                party = await self._party(session, booking, actor)
                if party.consent_at is None:
                    if not consent:
                        raise BookingError("consent_required", texts.E_CONSENT)
                    party.consent_at = now
                slot = await session.get(BookingSlot, slot_id)
                if slot is None or slot.booking_id != booking.id:
                    raise BookingError("slot_unknown", texts.E_SLOT_UNKNOWN)
                case = await session.get(Case, booking.case_id)
                assert case is not None
                if booking.status == "proposed":
                    mediator = await self._lock_mediator(session, booking.mediator_id)
                    await self._check_free(
                        session, mediator.id, slot.starts_at, slot.ends_at, booking.id, now
                    )
                    booking.status = "pending"
                    booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
                    booking.updated_at = now
                    await session.flush()
                    when = local_text(slot.starts_at, self.config)
                    await self._notify_parties(
                        session,
                        booking,
                        case,
                        "fixed",
                        texts.N_TIME_FIXED.format(when=when),
                        now,
                        skip=party.id,
                    )
                    await self._notify_mediator(session, booking, case, mediator, now)
                elif booking.status in HOLDING:
                    if slot.starts_at != booking.starts_at:
                        raise Conflict("time_fixed", texts.E_SLOT_TAKEN)
                else:
                    raise self._state_error(booking)
                party.confirmed_at = now
                party.confirmed_version = booking.version
                await audit.append(
                    session,
                    case_id=booking.case_id,
                    actor=actor.name,
                    action="booking.party_confirmed",
                    detail={
                        "booking": booking.id,
                        "role": party.role,
                        "starts_at": booking.starts_at.isoformat() if booking.starts_at else None,
                        "consent_at": party.consent_at.isoformat(),
                    },
                    at=now,
                )
                await self._maybe_confirm(session, booking, case, now)
                return await self._view(session, booking)

    async def consent(self, booking_id: int, actor: Actor) -> dict[str, Any]:
        now = self.clock()
        async with self.db.transaction() as session:
            booking = await self._booking(session, booking_id, lock=True)
            party = await self._party(session, booking, actor)
            if party.consent_at is None:
                party.consent_at = now
                await audit.append(
                    session,
                    case_id=booking.case_id,
                    actor=actor.name,
                    action="booking.consent",
                    detail={"booking": booking.id, "role": party.role},
                    at=now,
                )
            return await self._view(session, booking)

    async def accept(self, booking_id: int, actor: Actor) -> dict[str, Any]:
        now = self.clock()
        async with self.db.transaction() as session:
            booking = await self._booking(session, booking_id, lock=True)
            self._mediator_only(booking, actor)
            if booking.status not in ("proposed", "pending"):
                raise self._state_error(booking)
            booking.mediator_accepted_at = now
            booking.updated_at = now
            await audit.append(
                session,
                case_id=booking.case_id,
                actor=actor.name,
                action="booking.accepted",
                detail={"booking": booking.id},
                at=now,
            )
            case = await session.get(Case, booking.case_id)
            assert case is not None
            await self._maybe_confirm(session, booking, case, now)
            return await self._view(session, booking)

    async def decline(self, booking_id: int, actor: Actor, reason: str) -> dict[str, Any]:
        return await self._end(
            booking_id,
            actor,
            reason,
            "declined",
            texts.N_DECLINED,
            allowed=OPEN,
            mediator_only=True,
        )

    async def cancel(self, booking_id: int, actor: Actor, reason: str) -> dict[str, Any]:
        return await self._end(
            booking_id,
            actor,
            reason,
            "cancelled",
            texts.N_CANCELLED,
            allowed=OPEN,
            mediator_only=False,
        )

    async def _end(
        self,
        booking_id: int,
        actor: Actor,
        reason: str,
        status: str,
        notice: str,
        *,
        allowed: tuple[str, ...],
        mediator_only: bool,
    ) -> dict[str, Any]:
        reason = reason.strip()
        if not reason:
            raise BookingError("reason_required", texts.E_REASON)
        now = self.clock()
        async with self.db.transaction() as session:
            booking = await self._booking(session, booking_id, lock=True)
            if mediator_only:
                self._mediator_only(booking, actor)
            else:
                await self._involved(session, booking, actor)
            if booking.status not in allowed:
                raise self._state_error(booking)
            booking.status = status
            booking.reason = reason[:255]
            booking.updated_at = now
            await self.notices.withdraw(session, f"booking:{booking.id}:")
            await audit.append(
                session,
                case_id=booking.case_id,
                actor=actor.name,
                action=f"booking.{status}",
                detail={"booking": booking.id, "reason": reason[:255]},
                at=now,
            )
            case = await session.get(Case, booking.case_id)
            assert case is not None
            await self._notify_parties(
                session, booking, case, status, notice.format(reason=reason[:60]), now
            )
            return await self._view(session, booking)

    async def reschedule(
        self, booking_id: int, actor: Actor, reason: str, *, times: list[datetime] | None = None
    ) -> dict[str, Any]:
        """Release the time and offer new ones; everyone confirms again."""
        reason = reason.strip()
        if not reason:
            raise BookingError("reason_required", texts.E_REASON)
        now = self.clock()
        async with self.db.transaction() as session:
            booking = await self._booking(session, booking_id, lock=True)
            party = await self._involved(session, booking, actor)
            if booking.status not in OPEN:
                raise self._state_error(booking)
            await self._lock_mediator(session, booking.mediator_id)
            offered = await self._offer(session, booking.mediator_id, now, times, ignore=booking.id)
            await self.notices.withdraw(session, f"booking:{booking.id}:")
            old = booking.starts_at
            booking.status = "proposed"
            booking.starts_at = booking.ends_at = None
            booking.version += 1
            booking.mediator_accepted_at = None
            booking.reason = reason[:255]
            booking.updated_at = now
            for slot in (
                await session.scalars(
                    select(BookingSlot).where(BookingSlot.booking_id == booking.id)
                )
            ).all():
                await session.delete(slot)
            session.add_all(
                BookingSlot(booking_id=booking.id, starts_at=lo, ends_at=hi) for lo, hi in offered
            )
            for p in await self._parties(session, booking.id):
                p.confirmed_at = None
                p.confirmed_version = None
                p.reschedule_reason = (
                    reason[:255] if party is not None and p.id == party.id else None
                )
            await session.flush()
            await audit.append(
                session,
                case_id=booking.case_id,
                actor=actor.name,
                action="booking.rescheduled",
                detail={
                    "booking": booking.id,
                    "reason": reason[:255],
                    "from": old.isoformat() if old else None,
                    "slots": [lo.isoformat() for lo, _ in offered],
                },
                at=now,
            )
            case = await session.get(Case, booking.case_id)
            assert case is not None
            await self._notify_parties(
                session,
                booking,
                case,
                f"reschedule{booking.version}",
                texts.N_RESCHEDULE.format(reason=reason[:60]),
                now,
            )
            return await self._view(session, booking)

    # --- after the session -----------------------------------------------------------------

    async def complete(
        self, booking_id: int, actor: Actor, outcome: str, notes: str | None = None
    ) -> dict[str, Any]:
        if outcome not in texts.OUTCOME_NAMES:
            raise BookingError("bad_outcome", "/".join(texts.OUTCOME_NAMES))
        return await self._record(booking_id, actor, "completed", outcome=outcome, notes=notes)

    async def no_show(
        self, booking_id: int, actor: Actor, party_ids: list[int], notes: str | None = None
    ) -> dict[str, Any]:
        return await self._record(booking_id, actor, "no_show", absent=party_ids, notes=notes)

    async def _record(
        self,
        booking_id: int,
        actor: Actor,
        status: str,
        *,
        outcome: str | None = None,
        absent: list[int] | None = None,
        notes: str | None = None,
    ) -> dict[str, Any]:
        now = self.clock()
        async with self.db.transaction() as session:
            booking = await self._booking(session, booking_id, lock=True)
            self._mediator_only(booking, actor)
            if (
                booking.status != "confirmed"
                or booking.starts_at is None
                or booking.starts_at > now
            ):
                raise self._state_error(booking)
            booking.status = status
            booking.outcome = outcome
            booking.completed_at = now
            booking.updated_at = now
            if notes:
                booking.notes = notes
            roles = []
            for p in await self._parties(session, booking.id):
                if absent and p.id in absent:
                    p.no_show = True
                    roles.append(p.role)
            await audit.append(
                session,
                case_id=booking.case_id,
                actor=actor.name,
                action=f"booking.{status}",
                detail={"booking": booking.id, "outcome": outcome, "absent": roles},
                at=now,
            )
            return await self._view(session, booking)

    async def set_notes(self, booking_id: int, actor: Actor, notes: str) -> dict[str, Any]:
        async with self.db.transaction() as session:
            booking = await self._booking(session, booking_id, lock=True)
            self._mediator_only(booking, actor)
            booking.notes = notes[:20000]
            await audit.append(
                session,
                case_id=booking.case_id,
                actor=actor.name,
                action="booking.notes",
                detail={"booking": booking.id, "length": len(notes)},
            )
            return await self._view(session, booking)

    async def rate(self, booking_id: int, actor: Actor, score: int) -> None:
        """Satisfaction 1..5 from a party (or staff after a 回访 call) feeds recommendations."""
        if not 1 <= score <= 5:
            raise BookingError("bad_score", "1-5")
        async with self.db.transaction() as session:
            booking = await self._booking(session, booking_id, lock=True)
            await self._involved(session, booking, actor)
            if booking.status != "completed":
                raise self._state_error(booking)
            booking.satisfaction = score
            await audit.append(
                session,
                case_id=booking.case_id,
                actor=actor.name,
                action="booking.rated",
                detail={"booking": booking.id, "score": score},
            )

    # --- views for the edges ---------------------------------------------------------------

    async def get(self, booking_id: int, actor: Actor) -> dict[str, Any]:
        async with self.db.read() as session:
            booking = await self._booking(session, booking_id)
            await self._involved(session, booking, actor)
            return await self._view(session, booking)

    async def for_case(self, code: str) -> list[dict[str, Any]]:
        async with self.db.read() as session:
            case = await self._case(session, code)
            rows = (
                await session.scalars(
                    select(Booking).where(Booking.case_id == case.id).order_by(Booking.id.desc())
                )
            ).all()
            return [await self._view(session, b) for b in rows]

    async def calendar(
        self, mediator_id: int, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """A mediator's bookings that overlap [start, end) or still wait for a time."""
        async with self.db.read() as session:
            rows = (
                await session.scalars(
                    select(Booking)
                    .where(Booking.mediator_id == mediator_id)
                    .where(
                        ((Booking.starts_at < end) & (Booking.ends_at > start))
                        | (Booking.status == "proposed")
                    )
                    .order_by(Booking.starts_at.is_(None), Booking.starts_at, Booking.id)
                )
            ).all()
            return [await self._view(session, b, with_links=False) for b in rows]

    async def subsidy(self, mediator_id: int, year: int) -> list[dict[str, Any]]:
        """一案一补 by month: distinct cases with a finished session, times the rate."""
        tz = self.config.tz
        start = datetime(year, 1, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz)
        async with self.db.read() as session:
            mediator = await session.get(Mediator, mediator_id)
            if mediator is None:
                raise NotFound("mediator_not_found", texts.E_MEDIATOR_NOT_FOUND)
            rows = (
                await session.execute(
                    select(Booking.case_id, Booking.completed_at).where(
                        Booking.mediator_id == mediator_id,
                        Booking.status == "completed",
                        Booking.completed_at >= start,
                        Booking.completed_at < end,
                    )
                )
            ).all()
        months: dict[int, set[int]] = {}
        seen: set[int] = set()
        for case_id, done in sorted(rows, key=lambda r: r[1]):
            if case_id in seen:  # one case is paid once, in the month it was first finished
                continue
            seen.add(case_id)
            months.setdefault(done.astimezone(tz).month, set()).add(case_id)
        return [
            {
                "month": f"{year}-{m:02d}",
                "cases": len(months.get(m, ())),
                "amount_yuan": len(months.get(m, ())) * mediator.subsidy_fen / 100,
            }
            for m in range(1, 13)
        ]

    async def party_access(self, token: str) -> tuple[int, Actor]:
        """The booking and the party behind a party link (fengqiao.tokens, purpose "booking"):
        one link per party and case, valid for whichever booking the case has now."""
        try:
            claims = verify_token(self.secret, token, "booking")
        except AccessDenied:
            raise Forbidden("bad_link", texts.E_LINK) from None
        if claims.role != "party" or claims.case_id is None or claims.party_id is None:
            raise Forbidden("bad_link", texts.E_LINK)
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(BookingParty.booking_id, BookingParty.id)
                    .join(Booking, Booking.id == BookingParty.booking_id)
                    .where(
                        Booking.case_id == claims.case_id,
                        BookingParty.case_party_id == claims.party_id,
                    )
                    .order_by(Booking.id.desc())
                    .limit(1)
                )
            ).first()
        if row is None:
            raise NotFound("booking_not_found", texts.E_NOT_FOUND)
        return int(row[0]), Actor(f"party:{claims.party_id}", party_id=int(row[1]))

    async def party_view(self, token: str) -> dict[str, Any]:
        try:
            booking_id, actor = await self.party_access(token)
        except NotFound:
            return await self._no_booking_yet(token)
        async with self.db.read() as session:
            booking = await self._booking(session, booking_id)
            view = await self._view(session, booking, with_links=False, mask=True)
            view["me"] = next(p for p in view["parties"] if p["id"] == actor.party_id)
            return view

    async def _case_party(self, token: str) -> tuple[Case, CaseParty]:
        try:
            claims = verify_token(self.secret, token, "booking")
        except AccessDenied:
            raise Forbidden("bad_link", texts.E_LINK) from None
        async with self.db.read() as session:
            party = await session.get(CaseParty, claims.party_id) if claims.party_id else None
            case = await session.get(Case, claims.case_id) if claims.case_id else None
        if claims.role != "party" or party is None or case is None or party.case_id != case.id:
            raise Forbidden("bad_link", texts.E_LINK)
        return case, party

    async def _no_booking_yet(self, token: str) -> dict[str, Any]:
        """Before anything is booked the applicant may pick from the top few mediators."""
        case, party = await self._case_party(token)
        choices: list[dict[str, Any]] = []
        if party.role == "applicant":
            found = await self.recommend(case.code, limit=self.config.resident_choices)
            choices = found["mediators"]
        return {
            "id": None,
            "case": case.code,
            "type_name": case.type_name,
            "status": "none",
            "status_name": texts.STATUS_NAMES["none"],
            "me": {"role": party.role, "role_name": texts.ROLE_NAMES.get(party.role, party.role)},
            "choices": choices,
        }

    async def resident_pick(
        self, token: str, mediator_id: int | None, *, mode: str = "onsite"
    ) -> dict[str, Any]:
        """The applicant picks one of the top mediators (None: the first) and gets times."""
        case, party = await self._case_party(token)
        if party.role != "applicant":
            raise Forbidden("not_yours", texts.E_NOT_YOURS)
        top = (await self.recommend(case.code, limit=self.config.resident_choices))["mediators"]
        allowed = [m["id"] for m in top]
        if not allowed:
            raise Conflict("no_mediator", texts.E_MEDIATOR_UNAVAILABLE)
        chosen = allowed[0] if mediator_id is None else mediator_id
        if chosen not in allowed:
            raise BookingError("not_offered", texts.E_MEDIATOR_UNAVAILABLE)
        await self.propose(case.code, chosen, Actor(f"party:{party.id}"), mode=mode)
        return await self.party_view(token)

    def party_link(self, case_id: int, case_party_id: int) -> str:
        token = issue_token(self.secret, purpose="booking", case_id=case_id, party_id=case_party_id)
        return f"{self.base}/h5/booking/{token}"

    async def mediator_feed(self, token: str) -> tuple[Mediator, list[dict[str, Any]]]:
        async with self.db.read() as session:
            mediator = await session.scalar(select(Mediator).where(Mediator.ics_token == token))
            if mediator is None:
                raise NotFound("feed_not_found", texts.E_MEDIATOR_NOT_FOUND)
        now = self.clock()
        items = await self.calendar(
            mediator.id, now - timedelta(days=30), now + timedelta(days=180)
        )
        return mediator, items

    # --- internals -------------------------------------------------------------------------

    async def _check_mediator(self, session: AsyncSession, mediator: Mediator) -> None:
        if mediator.status != "active":
            raise Conflict("mediator_unavailable", texts.E_MEDIATOR_UNAVAILABLE)
        open_count = await session.scalar(
            select(func.count()).where(Booking.mediator_id == mediator.id, Booking.status.in_(OPEN))
        )
        if (open_count or 0) >= mediator.capacity:
            raise Conflict("mediator_unavailable", texts.E_MEDIATOR_UNAVAILABLE)

    async def _no_open_booking(self, session: AsyncSession, case_id: int) -> None:
        existing = await session.scalar(
            select(Booking.id).where(Booking.case_id == case_id, Booking.status.in_(OPEN))
        )
        if existing is not None:
            raise Conflict(
                "booking_open", texts.E_STATE.format(status=texts.STATUS_NAMES["pending"])
            )

    async def _offer(
        self,
        session: AsyncSession,
        mediator_id: int,
        now: datetime,
        times: list[datetime] | None,
        ignore: int | None = None,
    ) -> list[Interval]:
        length = timedelta(minutes=self.config.slot_minutes)
        if times:
            offered = []
            for start in times:
                await self._check_free(session, mediator_id, start, start + length, ignore, now)
                offered.append((start, start + length))
            return offered
        start, end = self._window(now)
        free = await self.free_time(session, [mediator_id], start, end, ignore_booking=ignore)
        offered = spread(slots(free[mediator_id], self.config), self.config.offer_slots)
        if not offered:
            raise Conflict("no_free_time", texts.R_NOT_SOON.format(days=self.config.horizon_days))
        return offered

    async def _check_free(
        self,
        session: AsyncSession,
        mediator_id: int,
        start: datetime,
        end: datetime,
        ignore: int | None,
        now: datetime,
    ) -> None:
        if start.tzinfo is None:
            raise BookingError("naive_time", "time needs a zone")
        if start <= now:
            raise BookingError("past", texts.E_PAST)
        free = await self.free_time(session, [mediator_id], start, end, ignore_booking=ignore)
        if not any(lo <= start and end <= hi for lo, hi in free[mediator_id]):
            held = await session.scalar(
                select(Booking.id).where(
                    Booking.mediator_id == mediator_id,
                    Booking.status.in_(HOLDING),
                    Booking.starts_at < end,
                    Booking.ends_at > start,
                    Booking.id != (ignore or 0),
                )
            )
            if held is not None:
                raise Conflict("slot_taken", texts.E_SLOT_TAKEN)
            raise Conflict("outside_hours", texts.E_OUTSIDE_HOURS)

    async def _default_place(self, session: AsyncSession, mediator: Mediator) -> str | None:
        if mediator.organisation_id is None:
            return None
        org = await session.get(Organisation, mediator.organisation_id)
        return (org.address or org.name) if org else None

    async def _parties(self, session: AsyncSession, booking_id: int) -> list[BookingParty]:
        return list(
            (
                await session.scalars(
                    select(BookingParty)
                    .where(BookingParty.booking_id == booking_id)
                    .order_by(BookingParty.id)
                )
            ).all()
        )

    async def _party(self, session: AsyncSession, booking: Booking, actor: Actor) -> BookingParty:
        party = await session.get(BookingParty, actor.party_id) if actor.party_id else None
        if party is None or party.booking_id != booking.id:
            raise Forbidden("not_yours", texts.E_NOT_YOURS)
        return party

    async def _involved(
        self, session: AsyncSession, booking: Booking, actor: Actor
    ) -> BookingParty | None:
        if actor.staff:
            return None
        if actor.mediator_id is not None:
            self._mediator_only(booking, actor)
            return None
        return await self._party(session, booking, actor)

    def _mediator_only(self, booking: Booking, actor: Actor) -> None:
        if actor.staff and actor.mediator_id is None:
            return  # staff and admins act for a mediator who phoned in
        if actor.mediator_id != booking.mediator_id:
            raise Forbidden("not_yours", texts.E_NOT_YOURS)

    def _state_error(self, booking: Booking) -> BookingError:
        name = texts.STATUS_NAMES.get(booking.status, booking.status)
        return Conflict("bad_state", texts.E_STATE.format(status=name))

    async def _maybe_confirm(
        self, session: AsyncSession, booking: Booking, case: Case, now: datetime
    ) -> None:
        if booking.status != "pending" or booking.mediator_accepted_at is None:
            return
        parties = await self._parties(session, booking.id)
        if not all(p.confirmed_version == booking.version for p in parties):
            return
        booking.status = "confirmed"
        booking.updated_at = now
        await session.flush()
        await audit.append(
            session,
            case_id=case.id,
            actor="system",
            action="booking.confirmed",
            detail={
                "booking": booking.id,
                "starts_at": booking.starts_at.isoformat() if booking.starts_at else None,
            },
            at=now,
        )
        mediator = await session.get(Mediator, booking.mediator_id)
        assert mediator is not None and booking.starts_at is not None
        when = local_text(booking.starts_at, self.config)
        place = self._place(booking)
        await self._notify_parties(
            session,
            booking,
            case,
            "confirmed",
            texts.N_CONFIRMED.format(when=when, place=place, mediator=mediator.name),
            now,
        )
        await self._queue_reminders(session, booking, case, mediator, now)

    def _place(self, booking: Booking) -> str:
        if booking.mode == "video":
            return texts.PLACE_VIDEO
        return booking.place or ""

    async def _recipients(
        self, session: AsyncSession, booking: Booking
    ) -> list[tuple[BookingParty, str, str]]:
        rows = await session.execute(
            select(BookingParty, Person.channel, Person.openid)
            .join(CaseParty, CaseParty.id == BookingParty.case_party_id)
            .join(Person, Person.id == CaseParty.person_id)
            .where(BookingParty.booking_id == booking.id, Person.openid.is_not(None))
            .where(Person.channel.in_(RESIDENT_CHANNELS))
        )
        return [(p, str(c), str(o)) for p, c, o in rows.all()]

    def _payload(
        self,
        case: Case,
        remark: str,
        when: datetime | None,
        url: str,
        status_name: str = texts.BOOKING_STATUS,
    ) -> dict[str, Any]:
        return {
            "code": case.code,
            "status": case.status,
            "status_name": status_name,
            "event": "booking",
            "time": (when or self.clock()).isoformat(timespec="seconds"),
            "remark": remark,
            "url": url,
        }

    async def _notify_parties(
        self,
        session: AsyncSession,
        booking: Booking,
        case: Case,
        event: str,
        remark: str,
        now: datetime,
        skip: int | None = None,
    ) -> None:
        notices = [
            Notice(
                case_id=case.id,
                channel=channel,
                openid=openid,
                kind="booking",
                payload=self._payload(
                    case,
                    remark,
                    booking.starts_at,
                    self.party_link(booking.case_id, party.case_party_id),
                ),
                send_at=now,
                dedupe_key=f"booking:{booking.id}:v{booking.version}:{event}:{channel}:{openid}",
            )
            for party, channel, openid in await self._recipients(session, booking)
            if party.id != skip
        ]
        await self.notices.queue(session, notices)

    async def _notify_mediator(
        self,
        session: AsyncSession,
        booking: Booking,
        case: Case,
        mediator: Mediator,
        now: datetime,
    ) -> None:
        if not mediator.openid or booking.starts_at is None:
            return
        remark = texts.N_MEDIATOR_NEW.format(
            code=case.code, when=local_text(booking.starts_at, self.config)
        )
        await self.notices.queue(
            session,
            [
                Notice(
                    case_id=case.id,
                    channel="mp",
                    openid=mediator.openid,
                    kind="booking",
                    payload=self._payload(
                        case, remark, booking.starts_at, f"{self.base}/console/booking/{booking.id}"
                    ),
                    send_at=now,
                    dedupe_key=f"booking:{booking.id}:v{booking.version}:mediator:mp:{mediator.openid}",
                )
            ],
        )

    async def _queue_reminders(
        self,
        session: AsyncSession,
        booking: Booking,
        case: Case,
        mediator: Mediator,
        now: datetime,
    ) -> None:
        assert booking.starts_at is not None
        when = local_text(booking.starts_at, self.config)
        place = self._place(booking)
        targets: list[tuple[str, str, str, str]] = [
            (
                channel,
                openid,
                texts.N_REMINDER.format(when=when, place=place, mediator=mediator.name),
                self.party_link(booking.case_id, party.case_party_id),
            )
            for party, channel, openid in await self._recipients(session, booking)
        ]
        if mediator.openid:
            targets.append(
                (
                    "mp",
                    mediator.openid,
                    texts.N_MEDIATOR_REMINDER.format(code=case.code, when=when, place=place),
                    f"{self.base}/console/booking/{booking.id}",
                )
            )
        notices = []
        for hours in self.config.reminders_hours:
            due = booking.starts_at - timedelta(hours=hours)
            if due <= now:
                continue  # booked at short notice: that reminder's moment has passed
            for channel, openid, remark, url in targets:
                notices.append(
                    Notice(
                        case_id=case.id,
                        channel=channel,
                        openid=openid,
                        kind="reminder",
                        payload=self._payload(
                            case, remark, booking.starts_at, url, texts.REMINDER_STATUS
                        ),
                        send_at=due,
                        dedupe_key=(
                            f"booking:{booking.id}:v{booking.version}:remind{hours:g}h:"
                            f"{channel}:{openid}"
                        ),
                    )
                )
        await self.notices.queue(session, notices)

    def _iso(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.config.tz).isoformat() if moment else None

    async def _view(
        self,
        session: AsyncSession,
        booking: Booking,
        *,
        with_links: bool = True,
        mask: bool = False,
    ) -> dict[str, Any]:
        """The booking as the edges show it; parties (mask=True) see each other's role and a
        masked name only, staff and the mediator see names."""
        case = await session.get(Case, booking.case_id)
        mediator = await session.get(Mediator, booking.mediator_id)
        assert case is not None and mediator is not None
        slot_rows = (
            await session.scalars(
                select(BookingSlot)
                .where(BookingSlot.booking_id == booking.id)
                .order_by(BookingSlot.starts_at)
            )
        ).all()
        party_rows = (
            await session.execute(
                select(BookingParty, CaseParty.name)
                .join(CaseParty, CaseParty.id == BookingParty.case_party_id)
                .where(BookingParty.booking_id == booking.id)
                .order_by(BookingParty.id)
            )
        ).all()
        parties = []
        for p, name in party_rows:
            item = {
                "id": p.id,
                "role": p.role,
                "role_name": texts.ROLE_NAMES.get(p.role, p.role),
                "name": mask_name(name) if mask else (name or ""),
                "consented": p.consent_at is not None,
                "confirmed": p.confirmed_version == booking.version,
                "reschedule_reason": p.reschedule_reason,
                "no_show": p.no_show,
            }
            if with_links:
                item["link"] = self.party_link(booking.case_id, p.case_party_id)
            parties.append(item)
        return {
            "id": booking.id,
            "case": case.code,
            "type_name": case.type_name,
            "status": booking.status,
            "status_name": texts.STATUS_NAMES.get(booking.status, booking.status),
            "version": booking.version,
            "mediator": {"id": mediator.id, "name": mediator.name, "title": mediator.title},
            "mediator_accepted": booking.mediator_accepted_at is not None,
            "starts_at": self._iso(booking.starts_at),
            "ends_at": self._iso(booking.ends_at),
            "when": local_text(booking.starts_at, self.config) if booking.starts_at else None,
            "mode": booking.mode,
            "mode_name": texts.MODE_NAMES.get(booking.mode, booking.mode),
            "place": self._place(booking),
            "reason": booking.reason,
            "notes": booking.notes if with_links else None,
            "outcome": booking.outcome,
            "outcome_name": texts.OUTCOME_NAMES.get(booking.outcome or "", None),
            "slots": [
                {
                    "id": s.id,
                    "starts_at": self._iso(s.starts_at),
                    "ends_at": self._iso(s.ends_at),
                    "when": local_text(s.starts_at, self.config),
                }
                for s in slot_rows
            ],
            "parties": parties,
        }


def mask_name(name: str | None) -> str:
    """王建国 -> 王**: parties see each other's role, not full names."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
