"""Staff send a party their own case link (cases/case_link.py) by SMS from the case page: the
way a party WeChat cannot reach (named by phone only) gets to their evidence and their thread
with the mediator. Only where an SMS provider and its link template are configured (the same
template as the booking link: case code and link); audited; limited like the booking link's
SMS (case_booking.py): one a minute and five a day per party, whoever presses the button."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from aiohttp import web

from fengqiao import keys
from fengqiao.cases.case_link import CaseLinks
from fengqiao.documents.otp import SmsError, mask_phone
from fengqiao.sms import build_link_sender
from fengqiao.storage.ratelimit import over_limit
from fengqiao.web.kit.door import Call, Routes, by_case
from fengqiao.web.pages.case_booking import (
    SMS_FAILED,
    SMS_NO_PHONE,
    SMS_NOT_CONFIGURED,
    SMS_PER_DAY,
    SMS_PER_MINUTE,
    SMS_SENT,
    SMS_TOO_SOON,
)
from fengqiao.web.pages.flash import flash

routes = Routes()


@routes.post(
    "/console/cases/{code}/parties/{party:\\d+}/sms", "case.messages", case=by_case(), page=True
)
async def send_case_link_sms(call: Call[Any, Any]) -> web.Response:
    """Send one party of the case their case link by SMS."""
    session, settings, cases = call.staff.session, call.app[keys.SETTINGS], call.app[keys.CASES]
    assert session is not None and call.case is not None
    code, party_id = call.case.code, call.path_id("party")
    anchor = f"/console/cases/{quote(code, safe='')}#party-{party_id}"
    back = web.Response(status=303, headers={"Location": anchor})
    case_id, phone = await cases.party_phone(code, party_id)
    sender = build_link_sender(settings)
    if sender is None:
        await flash(call.request, session, SMS_NOT_CONFIGURED, error=True)
        return back
    if not phone:
        await flash(call.request, session, SMS_NO_PHONE, error=True)
        return back
    if await _too_soon(call, party_id):
        await flash(call.request, session, SMS_TOO_SOON.format(per_day=SMS_PER_DAY), error=True)
        return back
    url = CaseLinks(settings.secret, settings.public_url).for_party(
        case_id=case_id, case_code=code, party_id=party_id,
        generation=await cases.link_generation(party_id),
    )
    try:
        await sender.send_link(phone, code, url)
    except SmsError as exc:
        failed = SMS_FAILED.format(error=exc.args[0] if exc.args else "")
        await flash(call.request, session, failed, error=True)
        return back
    await cases.note_link_sms(code, party_id, call.staff.actor, mask_phone(phone))
    await flash(call.request, session, SMS_SENT.format(phone=mask_phone(phone)))
    return back


LINKS_REVOKED = "已作废该当事人此前收到的所有案件链接；需要时请重新发送。"


@routes.post(
    "/console/cases/{code}/parties/{party:\\d+}/revoke-links", "case.parties", case=by_case(),
    page=True,
)
async def revoke_case_links(call: Call[Any, Any]) -> web.Response:
    """作废旧链接: every case link the party was sent stops working (cases/case_link.py)."""
    session = call.staff.session
    assert session is not None and call.case is not None
    code, party_id = call.case.code, call.path_id("party")
    await call.app[keys.CASES].revoke_links(code, party_id, call.staff.actor)
    await flash(call.request, session, LINKS_REVOKED)
    return web.Response(
        status=303, headers={"Location": f"/console/cases/{quote(code, safe='')}#party-{party_id}"}
    )


async def _too_soon(call: Call[Any, Any], party_id: int) -> bool:
    kv, now, key = call.app[keys.KV], time.time(), f"case-link-sms:{party_id}"
    if await over_limit(kv, key, SMS_PER_MINUTE, now=now, window=60.0):
        return True  # a second press within the minute does not spend one of the day's
    return await over_limit(kv, key + ":day", SMS_PER_DAY, now=now, window=86400.0)
