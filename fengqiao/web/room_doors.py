"""Where a booking meets its video room: the join links shown to the people of a confirmed
booking, and whether its room is open now.

Booking (fengqiao/booking) knows nothing of the room and the room nothing of booking's
parties' pages; this edge module joins them. A party's booking link is the doorway: once the
booking is confirmed, their booking page shows "进入调解室" inside the room window (from 30
minutes before the start to 30 minutes after the end, the window the join token carries), so
the link a party already received by WeChat or from staff reaches the room, whatever time the
booking was moved to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from fengqiao.mediation_room import routes as room_routes
from fengqiao.mediation_room.sql_store import RoomNotAvailable, RoomService
from fengqiao.mediation_room.store import JOIN_MARGIN

ROOM_SERVICE: web.AppKey[RoomService] = web.AppKey("room_service")


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime
    now: datetime

    @property
    def open(self) -> bool:
        return self.opens_at <= self.now <= self.closes_at

    @property
    def over(self) -> bool:
        return self.now > self.closes_at


def room_clock(app: web.Application) -> datetime:
    """The room's own clock (tests move it), so the page and the join token agree."""
    return app[room_routes.REGISTRY_KEY].clock()


def window(app: web.Application, view: dict[str, Any]) -> Window | None:
    """The room window of a confirmed booking (a booking view from fengqiao.booking.views)."""
    if view.get("status") != "confirmed" or not view.get("starts_at") or not view.get("ends_at"):
        return None
    starts = datetime.fromisoformat(view["starts_at"])
    ends = datetime.fromisoformat(view["ends_at"])
    return Window(starts - JOIN_MARGIN, ends + JOIN_MARGIN, room_clock(app))


async def links(app: web.Application, booking_id: int) -> dict[str, dict[str, str]]:
    """Every join link of the booking's room (made on first call); {} if it has no time."""
    try:
        return await app[ROOM_SERVICE].links(booking_id)
    except RoomNotAvailable:
        return {}


async def party_room(
    app: web.Application, view: dict[str, Any], case_party_id: int
) -> dict[str, Any] | None:
    """What a party's booking page shows of the room: for a confirmed video booking, the
    window, and inside it the party's own join link."""
    found = window(app, view)
    if found is None or view.get("mode") != "video":
        return None
    room: dict[str, Any] = {
        "opens_at": found.opens_at.isoformat(),
        "closes_at": found.closes_at.isoformat(),
        "open": found.open,
        "over": found.over,
        "url": None,
    }
    if found.open:
        mine = (await links(app, int(view["id"]))).get(f"party:{case_party_id}")
        room["url"] = mine["url"] if mine else None
    return room
