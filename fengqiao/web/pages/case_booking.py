"""The case page's "调解预约与视频调解" section: the case's bookings (mediator, time, status,
each party's confirmation), a link to propose or book a mediator, each party's link to copy
when WeChat cannot reach them, and, for the booking's mediator inside the room window of a
confirmed booking, "进入调解室" (their own join link, which opens the room as its host).

Rendered by templates/case_booking.html.j2, included once in case.html.j2.
"""

from __future__ import annotations

from typing import Any

from fengqiao import keys, policy
from fengqiao.cases import masking
from fengqiao.web import room_doors
from fengqiao.web.kit.door import Call


def _may(call: Call[Any, Any], permission: str) -> bool:
    user = call.staff.user
    return policy.staff_may(
        user.role, permission, call.case, organisation=user.organisation, username=user.username
    )


async def case_booking(call: Call[Any, Any], code: str) -> dict[str, Any] | None:
    """The section's context, or None for a role that may not see bookings."""
    if not _may(call, "booking.view"):
        return None
    app, user = call.app, call.staff.user
    svc = app[keys.BOOKING]
    bookings = await svc.flow.for_case(code)
    mine = await svc.registry.mediator_by_username(user.username)
    may_link = _may(call, "room.links")
    for b in bookings:
        if user.role not in policy.UNMASKED_ROLES:
            for p in b["parties"]:
                p["name"] = masking.name(p["name"])
        b["reachable"] = await _wechat_parties(svc, b["id"])
        found = room_doors.window(app, b)
        b["room"] = None
        if found is None:
            continue
        b["room"] = {"open": found.open, "over": found.over, "mediator_url": None, "party": {}}
        if found.over or not may_link:
            continue
        # Join tokens hold their own window, so staff may send parties theirs ahead of time.
        room_links = await room_doors.links(app, b["id"])
        b["room"]["party"] = {
            int(key.split(":", 1)[1]): item["url"]
            for key, item in room_links.items()
            if key.startswith("party:")
        }
        if found.open and mine is not None and mine.id == b["mediator"]["id"]:
            own = room_links.get(f"mediator:{mine.id}")
            b["room"]["mediator_url"] = own["url"] if own else None
    return {
        "bookings": bookings,
        "can_book": _may(call, "booking.manage"),  # and so may see the parties' links
        "code": code,
    }


async def _wechat_parties(svc: Any, booking_id: int) -> set[int]:
    """Booking-party ids WeChat can reach (their notices go there; the others need a link)."""
    async with svc.store.read() as tx:
        return {r.party.id for r in await tx.recipients(booking_id)}
