"""The rules of a booking's life: who may act on it, in which state, and whether it is settled.

Plain functions over rows already loaded; they raise the domain errors of `errors`.
"""

from __future__ import annotations

from datetime import datetime

from fengqiao.booking import texts
from fengqiao.booking.actor import Actor
from fengqiao.booking.errors import Conflict, Forbidden, Invalid
from fengqiao.storage.models import Booking, BookingParty, Mediator

REASON_LENGTH = 255  # what the row keeps of a decline, cancel or reschedule reason
NOTICE_REASON_LENGTH = 60  # what a WeChat notice repeats of it
NOTES_LENGTH = 20000


def state_error(booking: Booking) -> Conflict:
    name = texts.STATUS_NAMES.get(booking.status, booking.status)
    return Conflict("bad_state", texts.E_STATE.format(status=name))


def require_state(booking: Booking, allowed: tuple[str, ...]) -> None:
    if booking.status not in allowed:
        raise state_error(booking)


def require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Invalid("reason_required", texts.E_REASON)
    return reason


def mediator_only(booking: Booking, actor: Actor) -> None:
    """The booking's own mediator; staff and admins may act for a mediator who phoned in."""
    if actor.staff and actor.mediator_id is None:
        return
    if actor.mediator_id != booking.mediator_id:
        raise Forbidden("not_yours", texts.E_NOT_YOURS)


def own_party(booking: Booking, party: BookingParty | None) -> BookingParty:
    """The acting party's answer row, which must belong to this booking."""
    if party is None or party.booking_id != booking.id:
        raise Forbidden("not_yours", texts.E_NOT_YOURS)
    return party


def check_mediator(mediator: Mediator, open_bookings: int) -> None:
    """A mediator takes a new booking while active and under capacity."""
    if mediator.status != "active" or open_bookings >= mediator.capacity:
        raise Conflict("mediator_unavailable", texts.E_MEDIATOR_UNAVAILABLE)


def no_open_booking(existing: int | None) -> None:
    """A case has one open booking at a time."""
    if existing is not None:
        raise Conflict("booking_open", texts.E_STATE.format(status=texts.STATUS_NAMES["pending"]))


def mode_of(mode: str) -> str:
    return mode if mode in texts.MODE_NAMES else "onsite"


def settled(booking: Booking, parties: list[BookingParty]) -> bool:
    """Pending, accepted by the mediator and confirmed by every party at this version."""
    return (
        booking.status == "pending"
        and booking.mediator_accepted_at is not None
        and all(p.confirmed_version == booking.version for p in parties)
    )


def may_record(booking: Booking, now: datetime) -> None:
    """An outcome or a no-show is recorded for a confirmed session that has started."""
    if booking.status != "confirmed" or booking.starts_at is None or booking.starts_at > now:
        raise state_error(booking)


def check_outcome(outcome: str) -> None:
    if outcome not in texts.OUTCOME_NAMES:
        raise Invalid("bad_outcome", texts.E_OUTCOME)


def check_absent(named: list[int], own: set[int]) -> None:
    """A no-show names at least one of the booking's own parties, and only them."""
    if not named or not set(named) <= own:
        raise Invalid("absent_required", texts.E_ABSENT)


def check_score(score: int) -> None:
    if not 1 <= score <= 5:
        raise Invalid("bad_score", texts.E_SCORE)
