"""The case page's "调解预约与视频调解" section: the case's bookings (mediator, time, status,
each party's confirmation), a link to propose or book a mediator, each party's link to copy
when WeChat cannot reach them, and, for the booking's mediator inside the room window of a
confirmed booking, "进入调解室" (their own join link, which opens the room as its host).

Rendered by templates/case_booking.html.j2, included once in case.html.j2. When an SMS
provider and its link template are configured (fengqiao/sms), staff also send a party without
WeChat their booking link by SMS from there (audited); otherwise they copy it.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from fengqiao import keys, policy
from fengqiao.cases import masking
from fengqiao.documents.otp import SmsError, mask_phone
from fengqiao.sms import build_link_sender
from fengqiao.storage.models import utcnow
from fengqiao.storage.ratelimit import over_limit
from fengqiao.web import room_doors
from fengqiao.web.kit.door import Call, Routes, by_booking, by_room
from fengqiao.web.pages.console_forms import Form
from fengqiao.web.pages.flash import flash
from fengqiao.web.params import RowId

routes = Routes()
SMS_SENT = "已发送短信至 {phone}"
SMS_NO_PHONE = "该当事人没有手机号，请先在当事人信息中填写"
SMS_FAILED = "短信未发出（{error}），请复制链接用其他方式告知"
SMS_NOT_CONFIGURED = "未配置短信服务，请复制链接发给当事人"
SMS_TOO_SOON = "刚刚已给该当事人发过短信，请稍后再试；今天最多发送 {per_day} 条"
# A party's phone is not a staff member's to flood: as SMS platforms do, one a minute and a few
# a day per party of a booking, whoever presses the button and whichever worker answers.
SMS_PER_MINUTE, SMS_PER_DAY = 1, 5


async def case_booking(call: Call[Any, Any], code: str) -> dict[str, Any] | None:
    """The section's context, or None for a role that may not see bookings."""
    if not call.staff_may("booking.view"):
        return None
    app, user = call.app, call.staff.user
    svc = app[keys.BOOKING]
    bookings = await svc.flow.for_case(code)
    mine = await svc.registry.mediator_by_username(user.username)
    may_link = call.staff_may("room.links")
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
        "can_book": call.staff_may("booking.manage"),  # and so may see the parties' links
        "can_sms": build_link_sender(app[keys.SETTINGS]) is not None,
        "code": code,
    }


async def _wechat_parties(svc: Any, booking_id: int) -> set[int]:
    """Booking-party ids WeChat can reach (their notices go there; the others need a link)."""
    async with svc.store.read() as tx:
        return {r.party.id for r in await tx.recipients(booking_id)}


@routes.get("/console/rooms/{room_id}/case", "case.view", case=by_room(), page=True)
async def room_case(call: Call[Any, Any]) -> web.Response:
    """The mediator's way back from the video room to the case page (the room knows its case
    by id only); a staff member who may not see the case gets 403 like on the case page."""
    assert call.case is not None  # the door found the room's case, or answered 404
    return web.Response(status=303, headers={"Location": f"/console/cases/{call.case.code}"})


class LinkSms(Form):
    party: RowId  # the booking party (booking_parties.id)


@routes.post(
    "/console/bookings/{id:\\d+}/sms", "booking.manage", case=by_booking(), page=True, body=LinkSms
)
async def send_link_sms(call: Call[LinkSms, Any]) -> web.Response:
    """Send one party of the booking their booking link by SMS (it leads to the room too)."""
    session, svc = call.staff.session, call.app[keys.BOOKING]
    assert session is not None
    sender = build_link_sender(call.app[keys.SETTINGS])
    booking_id = call.path_id()
    async with svc.store.read() as tx:
        booking = await tx.booking(booking_id)
        case = await tx.case(booking.case_id)
        party = next((p for p in await tx.parties(booking_id) if p.id == call.body.party), None)
        person = await tx.case_party(party.case_party_id) if party else None
    back = web.Response(status=303, headers={"Location": f"/console/cases/{case.code}#bookings"})
    if party is None or person is None:
        return back
    if sender is None:
        await flash(call.request, session, SMS_NOT_CONFIGURED, error=True)
        return back
    if not person.phone:
        await flash(call.request, session, SMS_NO_PHONE, error=True)
        return back
    if await _sms_too_soon(call, booking_id, party.id):
        await flash(call.request, session, SMS_TOO_SOON.format(per_day=SMS_PER_DAY), error=True)
        return back
    url = svc.links.url(booking.case_id, person.id)
    try:
        await sender.send_link(person.phone, case.code, url)
    except SmsError as exc:
        failed = SMS_FAILED.format(error=exc.args[0] if exc.args else "")
        await flash(call.request, session, failed, error=True)
        return back
    async with svc.store.transaction() as tx:
        detail = {"booking": booking_id, "party": party.id, "phone": mask_phone(person.phone)}
        await tx.audit(case.id, call.staff.actor, "booking.link_sms", detail, at=utcnow())
    await flash(call.request, session, SMS_SENT.format(phone=mask_phone(person.phone)))
    return back


async def _sms_too_soon(call: Call[LinkSms, Any], booking_id: int, party_id: int) -> bool:
    kv, now, key = call.app[keys.KV], time.time(), f"booking-sms:{booking_id}:{party_id}"
    if await over_limit(kv, key, SMS_PER_MINUTE, now=now, window=60.0):
        return True  # a second press within the minute does not spend one of the day's
    return await over_limit(kv, key + ":day", SMS_PER_DAY, now=now, window=86400.0)
