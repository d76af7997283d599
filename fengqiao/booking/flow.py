"""A booking's life: propose, book, choose, consent, accept, decline, cancel, reschedule,
then complete or no-show.

Every change is one transaction that also appends to the case's audit log and queues its
notices. Statuses: proposed → pending (time held) → confirmed → completed | no_show; any open
one → declined | cancelled; reschedule goes back to proposed with a new version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fengqiao.booking import rules, texts
from fengqiao.booking.actor import Actor
from fengqiao.booking.config import BookingConfig
from fengqiao.booking.errors import Conflict, Invalid
from fengqiao.booking.notices import BookingNotices
from fengqiao.booking.schedule import Schedule
from fengqiao.booking.store import HOLDING, OPEN, BookingStore, BookingTx
from fengqiao.booking.views import BookingViews, local_text, place_text
from fengqiao.storage.models import Booking, BookingParty, Case, Mediator


class BookingFlow:
    def __init__(
        self,
        store: BookingStore,
        schedule: Schedule,
        views: BookingViews,
        notices: BookingNotices,
        config: BookingConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.schedule = schedule
        self.views = views
        self.notices = notices
        self.config = config
        self.clock = clock

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
        async with self.store.transaction() as tx:
            case, mediator = await self._new_booking_for(tx, code, mediator_id)
            offered = await self.schedule.offer(tx, mediator.id, now, times)
            parties = await tx.case_parties(case.id)
            if not parties:
                raise Invalid("no_parties", texts.E_NO_PARTIES)
            booking = await tx.create(
                Booking(
                    case_id=case.id,
                    mediator_id=mediator.id,
                    status="proposed",
                    mode=rules.mode_of(mode),
                    place=place or await tx.place_of(mediator),
                    version=1,
                    created_by=actor.name,
                    created_at=now,
                    updated_at=now,
                ),
                offered,
                parties,
            )
            await tx.audit(
                case.id,
                actor.name,
                "booking.proposed",
                {
                    "booking": booking.id,
                    "mediator": mediator.code,
                    "slots": [lo.isoformat() for lo, _ in offered],
                },
                at=now,
            )
            await self.notices.parties(tx, booking, case, "proposed", texts.N_PROPOSED, now)
            return await self.views.show(tx, booking)

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
        async with self.store.transaction() as tx:
            case, mediator = await self._new_booking_for(tx, code, mediator_id)
            await self.schedule.check_free(tx, mediator.id, starts_at, ends_at, None, now)
            booking = await tx.create(
                Booking(
                    case_id=case.id,
                    mediator_id=mediator.id,
                    status="pending",
                    starts_at=starts_at,
                    ends_at=ends_at,
                    mode=rules.mode_of(mode),
                    place=place or await tx.place_of(mediator),
                    version=1,
                    created_by=actor.name,
                    created_at=now,
                    updated_at=now,
                ),
                [(starts_at, ends_at)],
                await tx.case_parties(case.id),
            )
            detail = {
                "booking": booking.id,
                "mediator": mediator.code,
                "starts_at": starts_at.isoformat(),
            }
            await tx.audit(case.id, actor.name, "booking.booked", detail, at=now)
            when = local_text(starts_at, self.config)
            await self.notices.parties(
                tx, booking, case, "fixed", texts.N_TIME_FIXED.format(when=when), now
            )
            await self.notices.mediator(tx, booking, case, mediator, now)
            return await self.views.show(tx, booking)

    async def _new_booking_for(
        self, tx: BookingTx, code: str, mediator_id: int
    ) -> tuple[Case, Mediator]:
        """The case, and its new mediator locked: active, under capacity, no open booking."""
        case = await tx.case_by_code(code)
        mediator = await tx.lock_mediator(mediator_id)
        rules.check_mediator(mediator, await tx.open_count(mediator.id))
        rules.no_open_booking(await tx.open_booking_of(case.id))
        return case, mediator

    async def choose(
        self, booking_id: int, actor: Actor, slot_id: int, *, consent: bool
    ) -> dict[str, Any]:
        """A party picks one of the offered times (and consents to mediation)."""
        now = self.clock()
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            party = await self._party(tx, booking, actor)
            if party.consent_at is None:
                if not consent:
                    raise Invalid("consent_required", texts.E_CONSENT)
                party.consent_at = now
            slot = await tx.slot(slot_id)
            if slot is None or slot.booking_id != booking.id:
                raise Invalid("slot_unknown", texts.E_SLOT_UNKNOWN)
            case = await tx.case(booking.case_id)
            if booking.status == "proposed":  # the first pick fixes the time for everyone
                mediator = await tx.lock_mediator(booking.mediator_id)
                await self.schedule.check_free(
                    tx, mediator.id, slot.starts_at, slot.ends_at, booking.id, now
                )
                booking.status = "pending"
                booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
                booking.updated_at = now
                await tx.flush()
                remark = texts.N_TIME_FIXED.format(when=local_text(slot.starts_at, self.config))
                await self.notices.parties(tx, booking, case, "fixed", remark, now, skip=party.id)
                await self.notices.mediator(tx, booking, case, mediator, now)
            elif booking.status in HOLDING:
                if slot.starts_at != booking.starts_at:
                    raise Conflict("time_fixed", texts.E_SLOT_TAKEN)
            else:
                raise rules.state_error(booking)
            party.confirmed_at = now
            party.confirmed_version = booking.version
            await tx.audit(
                booking.case_id,
                actor.name,
                "booking.party_confirmed",
                {
                    "booking": booking.id,
                    "role": party.role,
                    "starts_at": booking.starts_at.isoformat() if booking.starts_at else None,
                    "consent_at": party.consent_at.isoformat(),
                },
                at=now,
            )
            await self._confirm_if_settled(tx, booking, case, now)
            return await self.views.show(tx, booking)

    async def consent(self, booking_id: int, actor: Actor) -> dict[str, Any]:
        now = self.clock()
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            party = await self._party(tx, booking, actor)
            if party.consent_at is None:
                party.consent_at = now
                detail = {"booking": booking.id, "role": party.role}
                await tx.audit(booking.case_id, actor.name, "booking.consent", detail, at=now)
            return await self.views.show(tx, booking)

    async def accept(self, booking_id: int, actor: Actor) -> dict[str, Any]:
        now = self.clock()
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            rules.mediator_only(booking, actor)
            rules.require_state(booking, ("proposed", "pending"))
            booking.mediator_accepted_at = now
            booking.updated_at = now
            detail = {"booking": booking.id}
            await tx.audit(booking.case_id, actor.name, "booking.accepted", detail, at=now)
            await self._confirm_if_settled(tx, booking, await tx.case(booking.case_id), now)
            return await self.views.show(tx, booking)

    async def _confirm_if_settled(
        self, tx: BookingTx, booking: Booking, case: Case, now: datetime
    ) -> None:
        """Every party confirmed and the mediator accepted: confirmed, reminders queued."""
        if booking.status != "pending" or booking.mediator_accepted_at is None:
            return
        if not rules.settled(booking, await tx.parties(booking.id)):
            return
        booking.status = "confirmed"
        booking.updated_at = now
        await tx.flush()
        assert booking.starts_at is not None
        detail = {"booking": booking.id, "starts_at": booking.starts_at.isoformat()}
        await tx.audit(case.id, "system", "booking.confirmed", detail, at=now)
        mediator = await tx.mediator(booking.mediator_id)
        assert mediator is not None
        remark = texts.N_CONFIRMED.format(
            when=local_text(booking.starts_at, self.config),
            place=place_text(booking),
            mediator=mediator.name,
        )
        await self.notices.parties(tx, booking, case, "confirmed", remark, now)
        await self.notices.reminders(tx, booking, case, mediator, now)

    # --- ending and moving -----------------------------------------------------------------

    async def decline(self, booking_id: int, actor: Actor, reason: str) -> dict[str, Any]:
        """The mediator cannot take it; the centre arranges another."""
        return await self._end(booking_id, actor, reason, "declined", texts.N_DECLINED, True)

    async def cancel(self, booking_id: int, actor: Actor, reason: str) -> dict[str, Any]:
        return await self._end(booking_id, actor, reason, "cancelled", texts.N_CANCELLED, False)

    async def _end(
        self,
        booking_id: int,
        actor: Actor,
        reason: str,
        status: str,
        notice: str,
        mediator_only: bool,
    ) -> dict[str, Any]:
        reason = rules.require_reason(reason)[: rules.REASON_LENGTH]
        now = self.clock()
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            if mediator_only:
                rules.mediator_only(booking, actor)
            else:
                await self._involved(tx, booking, actor)
            rules.require_state(booking, OPEN)
            booking.status = status
            booking.reason = reason
            booking.updated_at = now
            await self.notices.withdraw(tx, booking)
            detail = {"booking": booking.id, "reason": reason}
            await tx.audit(booking.case_id, actor.name, f"booking.{status}", detail, at=now)
            remark = notice.format(reason=reason[: rules.NOTICE_REASON_LENGTH])
            case = await tx.case(booking.case_id)
            await self.notices.parties(tx, booking, case, status, remark, now)
            return await self.views.show(tx, booking)

    async def reschedule(
        self, booking_id: int, actor: Actor, reason: str, *, times: list[datetime] | None = None
    ) -> dict[str, Any]:
        """Release the time and offer new ones; everyone confirms again."""
        reason = rules.require_reason(reason)[: rules.REASON_LENGTH]
        now = self.clock()
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            asking = await self._involved(tx, booking, actor)
            rules.require_state(booking, OPEN)
            await tx.lock_mediator(booking.mediator_id)
            offered = await self.schedule.offer(
                tx, booking.mediator_id, now, times, ignore=booking.id
            )
            await self.notices.withdraw(tx, booking)
            old = booking.starts_at
            booking.status = "proposed"
            booking.starts_at = booking.ends_at = None
            booking.version += 1
            booking.mediator_accepted_at = None
            booking.reason = reason
            booking.updated_at = now
            await tx.replace_slots(booking, offered)
            for p in await tx.parties(booking.id):
                p.confirmed_at = None
                p.confirmed_version = None
                p.reschedule_reason = reason if asking is not None and p.id == asking.id else None
            await tx.flush()
            detail = {
                "booking": booking.id,
                "reason": reason,
                "from": old.isoformat() if old else None,
                "slots": [lo.isoformat() for lo, _ in offered],
            }
            await tx.audit(booking.case_id, actor.name, "booking.rescheduled", detail, at=now)
            remark = texts.N_RESCHEDULE.format(reason=reason[: rules.NOTICE_REASON_LENGTH])
            case = await tx.case(booking.case_id)
            event = f"reschedule{booking.version}"
            await self.notices.parties(tx, booking, case, event, remark, now)
            return await self.views.show(tx, booking)

    # --- after the session -----------------------------------------------------------------

    async def complete(
        self, booking_id: int, actor: Actor, outcome: str, notes: str | None = None
    ) -> dict[str, Any]:
        rules.check_outcome(outcome)
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
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            rules.mediator_only(booking, actor)
            rules.may_record(booking, now)
            parties = await tx.parties(booking.id)
            if status == "no_show":
                rules.check_absent(absent or [], {p.id for p in parties})
            booking.status = status
            booking.outcome = outcome
            booking.completed_at = now
            booking.updated_at = now
            if notes:
                booking.notes = notes
            roles = []
            for p in parties:
                if absent and p.id in absent:
                    p.no_show = True
                    roles.append(p.role)
            detail = {"booking": booking.id, "outcome": outcome, "absent": roles}
            await tx.audit(booking.case_id, actor.name, f"booking.{status}", detail, at=now)
            return await self.views.show(tx, booking)

    async def set_notes(self, booking_id: int, actor: Actor, notes: str) -> dict[str, Any]:
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            rules.mediator_only(booking, actor)
            booking.notes = notes[: rules.NOTES_LENGTH]
            detail = {"booking": booking.id, "length": len(notes)}
            await tx.audit(booking.case_id, actor.name, "booking.notes", detail)
            return await self.views.show(tx, booking)

    async def rate(self, booking_id: int, actor: Actor, score: int) -> None:
        """Satisfaction 1..5 from a party (or staff after a 回访 call) feeds recommendations."""
        rules.check_score(score)
        async with self.store.transaction() as tx:
            booking = await tx.booking(booking_id, lock=True)
            await self._involved(tx, booking, actor)
            rules.require_state(booking, ("completed",))
            booking.satisfaction = score
            detail = {"booking": booking.id, "score": score}
            await tx.audit(booking.case_id, actor.name, "booking.rated", detail)

    # --- reading ---------------------------------------------------------------------------

    async def get(self, booking_id: int, actor: Actor) -> dict[str, Any]:
        async with self.store.read() as tx:
            booking = await tx.booking(booking_id)
            await self._involved(tx, booking, actor)
            return await self.views.show(tx, booking)

    async def for_case(self, code: str) -> list[dict[str, Any]]:
        """Bookings of a case, newest first."""
        async with self.store.read() as tx:
            case = await tx.case_by_code(code)
            return [await self.views.show(tx, b) for b in await tx.bookings_of(case.id)]

    # --- who acts --------------------------------------------------------------------------

    async def _party(self, tx: BookingTx, booking: Booking, actor: Actor) -> BookingParty:
        party = await tx.party(actor.party_id) if actor.party_id else None
        return rules.own_party(booking, party)

    async def _involved(self, tx: BookingTx, booking: Booking, actor: Actor) -> BookingParty | None:
        """Staff, the booking's mediator, or one of its parties (returned)."""
        if actor.staff:
            return None
        if actor.mediator_id is not None:
            rules.mediator_only(booking, actor)
            return None
        return await self._party(tx, booking, actor)
