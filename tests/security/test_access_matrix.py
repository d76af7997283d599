"""Every role against every kind of resource, through every door (JSON API, downloads, pages,
room join links): the answers a hostile tester would check first.

One world is built once for the module: case A of the labour committee with two parties, an
issued agreement, evidence the applicant marked mediator-only, a confirmed booking with a
video room; case B with its own parties. Then each (who, request) pair is asserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.storage.models import Booking, BookingParty, CaseParty, Mediator, utcnow
from fengqiao.tokens import issue_token
from fengqiao.web.kit.requester import h5_session_key, wxa_session_key
from tests.conftest import make_settings
from tests.web.docs_helpers import (
    complete,
    jpeg_bytes,
    make_case,
    party_token,
    sealer_headers,
    staff_headers,
)
from tests.web.sessions import staff_session

pytestmark = pytest.mark.asyncio(loop_scope="module")
OTHER_ORG = "县交通事故调解室"


@dataclass
class World:
    client: TestClient
    code: str  # case A
    other_code: str  # case B
    doc: str
    evidence_id: int
    booking_id: int
    creds: dict[str, dict[str, str]] = field(default_factory=dict)  # who -> headers
    links: dict[str, str] = field(default_factory=dict)  # who -> ?t= token


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = make_settings(tmp_path_factory.mktemp("matrix"), api_requests_per_minute_per_ip=0)
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield await _build(client)


async def _build(client: TestClient) -> World:
    app = client.app
    a = await make_case(app, suffix="a")
    b = await make_case(app, suffix="b", organisation=OTHER_ORG)
    mediator = await staff_headers(app, "m1", "王调解")
    creds = {
        "anonymous": {},
        "admin": await staff_session(app, "admin1", role="admin"),
        "clerk": await staff_session(app, "clerk1", role="staff"),
        "mediator": mediator,
        "other_mediator": await staff_headers(app, "m9", "赵调解", organisation=OTHER_ORG),
        "leader": await staff_session(app, "leader1", role="leader"),
        "sealer": await sealer_headers(app),
        # make_case gives each case's respondent an openid: o-resp-a is a party of case A only.
        "resident_a": await _resident(app, "o-resp-a"),
        "resident_b": await _resident(app, "o-resp-b"),
        "webview_a": await _resident(app, "o-resp-a", web_view=True),
    }
    # An issued agreement on case A.
    draft = await (await client.post(f"/api/v1/cases/{a.code}/agreement", headers=mediator)).json()
    doc = draft["code"]
    resp = await client.put(f"/api/v1/documents/{doc}/draft", headers=mediator,
                            json=complete(draft["data"]))
    assert resp.status == 200, await resp.text()
    assert (await client.post(f"/api/v1/documents/{doc}/issue", headers=mediator)).status == 200
    # Evidence the applicant shows to the mediator only.
    upload = FormData()
    upload.add_field("file", jpeg_bytes(), filename="欠条.jpg", content_type="image/jpeg")
    upload.add_field("visibility", "mediator")
    evidence_link = party_token(app, a, a.applicant, "evidence")
    resp = await client.post(f"/api/v1/cases/{a.code}/evidence?t={evidence_link}", data=upload)
    assert resp.status == 200, await resp.text()
    evidence_id = (await resp.json())["id"]
    booking_id = await _confirmed_booking(app, a.case_id)
    secret = app[keys.SETTINGS].secret
    links = {
        "applicant_sign": party_token(app, a, a.applicant, "sign"),
        "respondent_evidence": party_token(app, a, a.respondent, "evidence"),
        "applicant_booking": party_token(app, a, a.applicant, "booking"),
        "other_case_sign": party_token(app, b, b.applicant, "sign"),
        "expired_sign": issue_token(secret, purpose="sign", case_id=a.case_id,
                                    party_id=a.applicant, ttl=-1),
        "forged_sign": issue_token(b"another-secret", purpose="sign", case_id=a.case_id,
                                   party_id=a.applicant),
    }
    return World(client, a.code, b.code, doc, evidence_id, booking_id, creds, links)


async def _resident(app: Any, openid: str, *, web_view: bool = False) -> dict[str, str]:
    """A mini-program session (Bearer), or the web-view's cookie made from a ticket."""
    value = f"{'view' if web_view else 'session'}-of-{openid}"
    key = h5_session_key(value) if web_view else wxa_session_key(value)
    await app[keys.KV].set(key, openid, ttl=3600)
    return {"Cookie": f"fq_h5={value}"} if web_view else {"Authorization": f"Bearer {value}"}


async def _confirmed_booking(app: Any, case_id: int) -> int:
    """A confirmed video booking of case A with mediator m1, open now."""
    now = utcnow()
    async with app[keys.DB].transaction() as session:
        mediator = Mediator(code="M-1", name="王调解", username="m1", ics_token="ics-m1")
        session.add(mediator)
        await session.flush()
        booking = Booking(case_id=case_id, mediator_id=mediator.id, status="confirmed",
                          starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1),
                          mode="video", created_by="test")
        session.add(booking)
        await session.flush()
        parties = (await session.scalars(
            select(CaseParty).where(CaseParty.case_id == case_id))).all()
        for p in parties:
            session.add(BookingParty(booking_id=booking.id, case_party_id=p.id, role=p.role))
        return booking.id


async def call(world: World, who: str, method: str, path: str, **kw: Any) -> int:
    headers = dict(world.creds.get(who, {}))
    if who in world.links:
        path += ("&" if "?" in path else "?") + "t=" + world.links[who]
    resp = await world.client.request(method, path, headers=headers, allow_redirects=False, **kw)
    if resp.status >= 400 and path.startswith("/api/"):
        body = await resp.json()  # every refusal under /api/ is the JSON error shape
        assert set(body["error"]) >= {"code", "message"}
    return resp.status


STAFF = ("admin", "clerk", "mediator", "other_mediator", "leader", "sealer")
LINKS = ("applicant_sign", "respondent_evidence", "applicant_booking", "other_case_sign",
         "expired_sign", "forged_sign")
RESIDENTS = ("resident_a", "resident_b", "webview_a")
ALL = ("anonymous", *STAFF, *LINKS, *RESIDENTS)


def expect(default: int, **overrides: int) -> dict[str, int]:
    table = dict.fromkeys(ALL, default)
    table.update(anonymous=401, expired_sign=401, forged_sign=401)
    table.update(overrides)
    return table


# The resident of case A, by the mini-program's session or in its web-view (a cookie).
OWN = {"resident_a": 200, "webview_a": 200}
# Writes in the web-view must carry the page's X-Requested-With header (none here): 403 csrf.
NO_HEADER = {"webview_a": 403}
# Console pages send whoever has no console session to the sign-in page; the web-view's
# cookie is no console session.
TO_SIGN_IN = {"anonymous": 303, "expired_sign": 303, "forged_sign": 303, "webview_a": 303}

# (method, path template, {who: status}); {code}, {other}, {doc}, {evidence}, {booking}.
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/documents/{doc}",
     expect(403, admin=200, clerk=200, mediator=200, sealer=200, applicant_sign=200, **OWN)),
    ("GET", "/api/v1/documents/{doc}/pdf",
     expect(403, admin=200, clerk=200, mediator=200, sealer=200, applicant_sign=200, **OWN)),
    ("GET", "/api/v1/documents/{doc}/links", expect(403, admin=200, mediator=200)),
    ("GET", "/api/v1/documents/{doc}/audit-certificate",
     expect(403, admin=200, clerk=200, mediator=200, sealer=200, applicant_sign=200, **OWN)),
    ("POST", "/api/v1/documents/{doc}/seal", expect(403, sealer=409)),
    ("POST", "/api/v1/documents/{doc}/deliver", expect(403, admin=409, clerk=409, mediator=409)),
    ("GET", "/api/v1/documents/{doc}/judicial-package",
     expect(403, admin=409, clerk=409, mediator=409)),
    ("POST", "/api/v1/cases/{code}/agreement", expect(403, admin=200, mediator=200)),
    ("GET", "/api/v1/cases/{code}/evidence",
     expect(403, admin=200, clerk=200, mediator=200, respondent_evidence=200, **OWN)),
    # Mediator-only evidence: the other party's evidence link does not open it.
    ("GET", "/api/v1/evidence/{evidence}/file",
     expect(403, admin=200, clerk=200, mediator=200, respondent_evidence=404, resident_a=404,
            webview_a=404)),
    ("POST", "/api/v1/rooms/for-booking/{booking}",
     expect(403, admin=200, clerk=200, mediator=200)),
    ("GET", "/api/v1/booking/bookings/{booking}",
     expect(403, admin=200, clerk=200, mediator=200, leader=200)),
    ("POST", "/api/v1/booking/bookings/{booking}/cancel",
     expect(403, admin=400, clerk=400, mediator=400)),
    ("GET", "/console/cases/{code}",
     expect(403, **TO_SIGN_IN, admin=200, clerk=200,
            mediator=200, leader=200, sealer=200)),
    ("GET", "/console/cases/{other}",
     expect(403, **TO_SIGN_IN, admin=200, clerk=200,
            other_mediator=200, leader=200, sealer=200)),
    ("GET", "/api/v1/console/cases", expect(403, admin=200, clerk=200, mediator=200,
                                            other_mediator=200, leader=200, sealer=200)),
    ("POST", "/console/cases/{code}/close",
     expect(403, **TO_SIGN_IN, admin=303, clerk=303,
            mediator=303)),
    ("POST", "/console/cases/{code}/escalate",
     expect(403, **TO_SIGN_IN, admin=303, clerk=303,
            leader=303)),
    # Staff signed in to the console are sent to the console's agreement page to sign.
    ("GET", "/h5/sign/{doc}", expect(403, applicant_sign=200, admin=303, clerk=303,
                                     mediator=303, sealer=303, **OWN)),
    ("GET", "/console/agreements/{doc}",
     expect(403, **TO_SIGN_IN, admin=200, clerk=200,
            mediator=200, sealer=200)),
    ("GET", "/api/v1/stats", expect(403, admin=200, leader=200)),
    # The resident's own space (issue #22): the resident of case A, nobody else.
    ("GET", "/api/v1/me/cases", expect(403, resident_a=200, resident_b=200, webview_a=200)),
    # The web-view's cookie is no session there: it must not buy itself another cookie.
    ("POST", "/api/v1/me/ticket", expect(403, resident_a=200, resident_b=200, webview_a=401)),
    ("GET", "/api/v1/me/cases/{code}", expect(403, **OWN)),
    ("GET", "/api/v1/me/cases/{code}/booking", expect(403, **OWN)),
    # The door admits the resident (and the party's own booking link, whose purpose is
    # booking.party on this case); the empty body is then refused. With a body, the link is
    # refused by the space itself (test_a_booking_link_is_no_resident below).
    ("POST", "/api/v1/me/cases/{code}/booking/confirm",
     expect(403, resident_a=400, applicant_booking=400, **NO_HEADER)),
    ("POST", "/api/v1/me/cases/{code}/booking/reschedule",
     expect(403, resident_a=400, applicant_booking=400, **NO_HEADER)),
    ("GET", "/api/v1/me/cases/{code}/room", expect(403, **OWN)),
    ("GET", "/h5/me/cases/{code}/booking", expect(403, **OWN)),
    ("GET", "/h5/me/cases/{code}/room", expect(403, resident_a=303, webview_a=303)),
    ("GET", "/api/v1/cases/{code}/messages",
     expect(403, admin=200, clerk=200, mediator=200, **OWN)),
    ("POST", "/api/v1/cases/{code}/messages",
     expect(403, admin=400, clerk=400, mediator=400, resident_a=400, **NO_HEADER)),
    # Sending a party their booking link by SMS: those who arrange bookings (an empty form
    # is refused after the door let them through).
    ("POST", "/console/bookings/{booking}/sms",
     expect(403, **TO_SIGN_IN, admin=400, clerk=400, mediator=400)),
]


def _fill(world: World, template: str) -> str:
    return template.format(code=world.code, other=world.other_code, doc=world.doc,
                           evidence=world.evidence_id, booking=world.booking_id)


@pytest.mark.parametrize(("method", "template", "table"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _ in MATRIX])
async def test_each_role_gets_what_the_policy_says(world, method, template, table):
    path = _fill(world, template)
    found = {who: await call(world, who, method, path, data=b"" if method == "POST" else None)
             for who in ALL}
    wrong = {who: (found[who], table[who]) for who in ALL if found[who] != table[who]}
    assert not wrong, f"{method} {path}: (got, expected) {wrong}"


async def test_only_the_bookings_mediator_gets_the_mediators_join_link(world):
    path = f"/api/v1/rooms/for-booking/{world.booking_id}"
    for who, sees in (("mediator", True), ("clerk", False), ("admin", False)):
        resp = await world.client.post(path, headers=world.creds[who])
        links = (await resp.json())["links"]
        assert any(pid.startswith("mediator:") for pid in links) is sees, who
        assert any(pid.startswith("party:") for pid in links), who


async def test_a_link_made_for_signing_cannot_act_on_the_booking(world):
    token = world.links["applicant_sign"]
    for action in ("", "/confirm", "/reschedule"):
        method = "GET" if not action else "POST"
        resp = await world.client.request(method, f"/api/v1/booking/party/{token}{action}",
                                          json={"reason": "没空"})
        assert resp.status == 403, action
    own = world.links["applicant_booking"]
    assert (await world.client.get(f"/api/v1/booking/party/{own}")).status == 200


async def test_a_booking_link_is_no_resident(world):
    token = world.links["applicant_booking"]
    resp = await world.client.post(
        f"/api/v1/me/cases/{world.code}/booking/reschedule?t={token}", json={"reason": "没空"})
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "resident_only"


async def test_the_web_view_writes_with_the_pages_header(world):
    path = f"/api/v1/cases/{world.code}/messages"
    headers = {**world.creds["webview_a"], "X-Requested-With": "fengqiao-h5"}
    resp = await world.client.post(path, headers=headers, json={"text": "请问什么时候调解？"})
    assert resp.status == 200, await resp.text()
    resp = await world.client.post(path, headers=world.creds["webview_a"], json={"text": "再问"})
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf"
    # The other resident reads nothing of it; the mediator reads it in the party's thread.
    resp = await world.client.get(path, headers=world.creds["resident_b"])
    assert resp.status == 403
    thread = await (await world.client.get(path, headers=world.creds["mediator"])).json()
    assert [m["text"] for m in thread["messages"]] == ["请问什么时候调解？"]


async def test_a_room_link_opens_only_its_room(world):
    links = (await (await world.client.post(f"/api/v1/rooms/for-booking/{world.booking_id}",
                                            headers=world.creds["mediator"])).json())["links"]
    party_url = next(v["url"] for k, v in links.items() if k.startswith("party:"))
    room_path = party_url.split("://", 1)[1].split("/", 1)[1]
    resp = await world.client.get("/" + room_path)
    assert resp.status == 200
    token = room_path.split("t=", 1)[1]
    # The same token on a document, or on another room, is refused.
    assert (await world.client.get(f"/api/v1/documents/{world.doc}?t={token}")).status == 403
    assert (await world.client.get(f"/h5/room/another-room?t={token}")).status in (403, 404)


async def test_a_mediator_lists_only_their_own_cases(world):
    for who, code, other in (("mediator", world.code, world.other_code),
                             ("other_mediator", world.other_code, world.code)):
        resp = await world.client.get("/api/v1/console/cases", headers=world.creds[who])
        listed = {c["code"] for c in (await resp.json())["items"]}
        assert code in listed and other not in listed, who
    resp = await world.client.get("/api/v1/console/cases", headers=world.creds["clerk"])
    assert {world.code, world.other_code} <= {c["code"] for c in (await resp.json())["items"]}


async def test_staff_writes_need_the_sessions_csrf_token(world):
    headers = {k: v for k, v in world.creds["mediator"].items() if k != "X-CSRF-Token"}
    resp = await world.client.post(f"/api/v1/documents/{world.doc}/issue", headers=headers)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf"


async def test_the_leader_reads_masked_and_changes_nothing_but_supervision(world):
    leader = world.creds["leader"]
    page = await (await world.client.get(f"/console/cases/{world.code}", headers=leader)).text()
    assert "13800000001" not in page and "138****0001" in page
    resp = await world.client.put(f"/api/v1/documents/{world.doc}/draft", headers=leader,
                                  json={"facts": "改写"})
    assert resp.status == 403
