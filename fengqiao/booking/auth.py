"""Who is calling the booking API: a signed-in console user (the console's own sessions and
roles), mapped to a booking Actor. Booking has no login of its own."""

from __future__ import annotations

from dataclasses import dataclass

from fengqiao.booking.service import Actor

STAFF_ROLES = ("staff", "admin", "leader")
ADMIN_ROLES = ("admin",)


@dataclass(frozen=True)
class Viewer:
    username: str
    display_name: str
    role: str  # staff, mediator, leader, admin (the console's roles)
    csrf: str
    mediator_id: int | None = None  # the registry entry whose username matches

    @property
    def actor(self) -> Actor:
        staff = self.role in STAFF_ROLES
        return Actor(f"staff:{self.username}", mediator_id=self.mediator_id, staff=staff)
