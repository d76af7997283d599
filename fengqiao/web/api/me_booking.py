"""My booking and my room, from the resident's own space: the same party actions as the
booking link (booking/parties.py) — confirm a time, ask for another, choose a mediator — and
the room's join link while its window is open, for the party the door found behind the
session on the case named. The H5 pages here open the same things in the mini-program's
web-view, with the web-view's session (a ticket exchanged for a cookie, h5_session.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from fengqiao import errors, keys
from fengqiao.web.api import me_models as m
from fengqiao.web.api.me import booking_of, own_party
from fengqiao.web.api.rooms import room_link_of
from fengqiao.web.kit.door import Call, Routes, by_case
from fengqiao.web.kit.pages import static_page_csp

P = "/api/v1/me/cases/{code}"
ROOM_CLOSED = "调解室尚未开放：请在调解开始前 30 分钟内进入"
PARTY_PAGE = Path(__file__).resolve().parent.parent / "static" / "booking" / "party.html"
routes = Routes()


def parties(call: Call[Any, Any]) -> Any:
    return call.app[keys.BOOKING].parties


@routes.get(
    P + "/booking",
    "booking.party",
    case=by_case(),
    response=m.MyBooking,
    summary="My booking on the case, with the actions open to me now",
)
async def my_booking(call: Call[Any, Any]) -> m.MyBooking:
    return await booking_of(call, own_party(call), call.path("code"))


@routes.post(
    P + "/booking/confirm",
    "booking.party",
    case=by_case(),
    body=m.Confirm,
    response=m.MyBooking,
    errors=(409, 422),
    summary="Confirm one offered time; consent to mediation is recorded with it",
)
async def confirm(call: Call[m.Confirm, Any]) -> m.MyBooking:
    link = own_party(call)
    await parties(call).confirm_of(link, call.body.slot_id, consent=call.body.consent)
    return await booking_of(call, link, call.path("code"))


@routes.post(
    P + "/booking/reschedule",
    "booking.party",
    case=by_case(),
    body=m.Reschedule,
    response=m.MyBooking,
    errors=(409, 422),
    summary="Ask for other times (choose another time), with a reason",
)
async def reschedule(call: Call[m.Reschedule, Any]) -> m.MyBooking:
    link = own_party(call)
    await parties(call).reschedule_of(link, call.body.reason)
    return await booking_of(call, link, call.path("code"))


@routes.post(
    P + "/booking/mediator",
    "booking.party",
    case=by_case(),
    body=m.PickMediator,
    response=m.MyBooking,
    errors=(409, 422),
    summary="The applicant chooses one of the recommended mediators (before a booking, or "
    "after one was declined or cancelled); the parties then get that mediator's times",
)
async def pick_mediator(call: Call[m.PickMediator, Any]) -> m.MyBooking:
    link, body = own_party(call), call.body
    await parties(call).pick_of(link, body.mediator_id, mode=body.mode)
    return await booking_of(call, link, call.path("code"))


async def _room(call: Call[Any, Any]) -> m.RoomLink:
    link = own_party(call)
    view = await parties(call).view_of(link)
    found = await room_link_of(call, view["id"], link.case_party_id) if view["id"] else None
    if found is None:
        raise errors.NotFound("room_closed", ROOM_CLOSED)
    return found


@routes.get(
    P + "/room",
    "room.join",
    case=by_case(),
    response=m.RoomLink,
    errors=(404,),
    summary="My join link to the video room, while its window is open (404 room_closed "
    "before and after)",
)
async def my_room(call: Call[Any, Any]) -> m.RoomLink:
    return await _room(call)


# --- the same, as pages in the mini-program's web-view --------------------------------------
PAGE: dict[str, Any] = {"page": True, "media_type": "text/html"}


@routes.get("/h5/me/cases/{code}/booking", "booking.party", case=by_case(), **PAGE)
async def booking_page(call: Call[Any, Any]) -> web.Response:
    """The booking link's page, calling the API above instead of the link's (party.js)."""
    own_party(call)
    text = PARTY_PAGE.read_text("utf-8")
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Security-Policy": static_page_csp(text),
    }
    return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)


@routes.get("/h5/me/cases/{code}/room", "room.join", case=by_case(), **PAGE)
async def room_page(call: Call[Any, Any]) -> web.Response:
    """Into the room with the resident's own join token (the room's, valid for this session
    only), while the window is open."""
    found = await _room(call)
    return web.Response(status=303, headers={"Location": found.url, "Cache-Control": "no-store"})
