"""Who is calling the booking API: a signed-in console user (the console's own sessions and
roles), mapped to a booking Actor. Booking has no login of its own."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from fengqiao.booking.actor import Actor

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


async def console_user(request: web.Request) -> tuple[str, str, str, str] | None:
    """(username, display name, role, csrf) from the console's session, if it is installed."""
    try:
        from fengqiao.web.pages import signed_in  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        found = await signed_in(request)
    except KeyError:  # the console is not set up in this app
        return None
    if found is None:
        return None
    user, session = found
    return user.username, user.display_name, user.role, session.csrf
