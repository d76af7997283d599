"""The resident's own space, for the mini-program: who I am, my cases, one case of mine with
where it stands, its booking and what I may do about it, the room while it is open, what
waits for my signature, what was served on me, the evidence I gave, and the address of my
thread with the mediator. Only the resident's own: the door finds the party behind the
session on the case asked for (policy.RESIDENT_PERMISSIONS), and cases_of says which cases
are the resident's. A ticket opens the same resident's H5 pages in the web-view
(web/kit/h5_session.py). The booking actions are in me_booking.py.
"""

from __future__ import annotations

from typing import Any

from fengqiao import errors, keys
from fengqiao.booking.links import PartyLink
from fengqiao.cases.mine import cases_of
from fengqiao.cases.parties import ROLES
from fengqiao.documents.mine import party_documents
from fengqiao.web.api import me_models as m
from fengqiao.web.api.documents import viewer
from fengqiao.web.api.rooms import room_link_of
from fengqiao.web.kit import requester as req
from fengqiao.web.kit.door import Call, Routes, by_case
from fengqiao.web.kit.h5_session import TICKET_SECONDS, issue_ticket

routes = Routes()


def resident(call: Call[Any, Any]) -> str:
    """The openid of the signed-in resident; this space is theirs, not a link's or staff's."""
    if not isinstance(call.who, req.Resident):
        raise errors.Forbidden("resident_only", "请在小程序中登录后使用")
    return call.who.openid


def own_party(call: Call[Any, Any]) -> PartyLink:
    """The resident as the party of the case the door checked."""
    resident(call)
    assert call.case is not None and call.party_id is not None  # the door found both
    return PartyLink(call.case.id, call.party_id)


async def booking_of(call: Call[Any, Any], link: PartyLink, code: str) -> m.MyBooking:
    view = await call.app[keys.BOOKING].parties.view_of(link)
    return m.MyBooking(**view, page=f"/h5/me/cases/{code}/booking")


@routes.get("/api/v1/me", "resident", response=m.Me, summary="The signed-in resident")
async def me(call: Call[Any, Any]) -> m.Me:
    mine = await cases_of(call.app[keys.DB], resident(call))
    return m.Me(channel="wxa", cases=len(mine))


@routes.post(
    "/api/v1/me/ticket",
    "resident",
    response=m.Ticket,
    summary="A single-use ticket (about a minute) for the web-view: open /h5/…?ticket=T and "
    "the page runs as this resident, without the session token in any URL",
)
async def ticket(call: Call[Any, Any]) -> m.Ticket:
    return m.Ticket(ticket=await issue_ticket(call.app, resident(call)), expires_in=TICKET_SECONDS)


@routes.get(
    "/api/v1/me/cases", "resident", response=m.MyCases, summary="My cases, newest first"
)
async def my_cases(call: Call[Any, Any]) -> m.MyCases:
    cases = call.app[keys.CASES]
    found = []
    for c in await cases_of(call.app[keys.DB], resident(call)):
        progress = await cases.progress(c["code"])
        found.append(m.MyCase(**c, stage=progress["stage"], stage_name=progress["stage_name"]))
    return m.MyCases(cases=found)


@routes.get(
    "/api/v1/me/cases/{code}",
    "case.view",
    case=by_case(),
    response=m.MyCaseDetail,
    summary="One of my cases: where it stands (status and the steps of mediation), my "
    "booking and its actions, the room link while open, documents to sign, documents served "
    "on me, the service-consent text, my evidence with comments, my thread with the mediator",
)
async def my_case(call: Call[Any, Any]) -> m.MyCaseDetail:
    link = own_party(call)
    code = call.path("code")
    progress = await call.app[keys.CASES].progress(code)
    mine = {c["code"]: c for c in await cases_of(call.app[keys.DB], resident(call))}
    role = mine.get(progress["code"], {}).get("role", "")
    booking = await booking_of(call, link, progress["code"])
    room = await room_link_of(call, booking.id, link.case_party_id) if booking.id else None
    documents = await party_documents(call.app[keys.DB], link.case_id, link.case_party_id)
    evidence = await call.app[keys.DOCUMENTS].evidence.list_for(code, await viewer(call))
    return m.MyCaseDetail(
        code=progress["code"],
        status=progress["status"],
        status_name=progress["status_name"],
        stage=progress["stage"],
        stage_name=progress["stage_name"],
        type_name=progress["type_name"],
        filed_at=progress["filed_at"],
        next_deadline=progress["next_deadline"],
        steps=[m.Step(**s) for s in progress["steps"]],
        my_role=role,
        my_role_name=ROLES.get(role, role),
        booking=booking,
        room=room,
        to_sign=[m.ToSign(**d) for d in documents["to_sign"]],
        delivered=[m.Delivered(**d) for d in documents["delivered"]],
        consent=m.Consent(**documents["consent"]),
        evidence=[
            m.MyEvidence(**e, file_url=f"/api/v1/evidence/{e['id']}/file")
            for e in evidence
            if e["party_id"] == link.case_party_id
        ],
        messages_url=f"/api/v1/cases/{progress['code']}/messages",
    )
