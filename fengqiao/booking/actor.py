"""Who acts on a booking."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, a mediator (their registry id), or a party by signed link.

    `name` goes into the audit log; `party_id` is a booking_parties.id."""

    name: str
    mediator_id: int | None = None
    party_id: int | None = None
    staff: bool = False
