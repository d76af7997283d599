"""A mini-program-only resident does everything through their own space, without any message
link: files by the intake API, sees and confirms the booking staff arranged, gets the room
link while the room is open, signs in an /h5 page opened with a ticket, agrees to electronic
service, acknowledges delivery, writes to the mediator. Another resident gets none of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime
from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.booking.actor import Actor
from fengqiao.mediation_room import routes as room_routes
from fengqiao.settings import Settings
from fengqiao.storage.models import AuditEntry, Case, CaseParty, Mediator
from fengqiao.tokens import issue_token
from tests.bot import wx
from tests.fakes.resident import Resident
from tests.fakes.wechat_server import FakeWeChat
from tests.web.docs_helpers import (
    APPLICANT_PHONE,
    ORGANISATION,
    RESPONDENT_PHONE,
    SEALER_PHONE,
    complete,
    jpeg_bytes,
    png_data_url,
    sealer_headers,
    staff_headers,
)

STAFF = Actor("staff:window", staff=True)
MEDIATOR_PHONE = "13700000003"
H5 = {"X-Requested-With": "fengqiao-h5"}


@pytest.fixture
async def wechat_fake() -> AsyncIterator[FakeWeChat]:
    fake = FakeWeChat(accounts={wx.APPID: wx.MP_SECRET, wx.WXA_APPID: wx.WXA_SECRET})
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(settings: Settings, wechat_fake: FakeWeChat) -> AsyncIterator[TestClient]:
    settings = dataclasses.replace(
        settings,
        wechat_token=wx.TOKEN,
        wechat_appid=wx.APPID,
        wechat_secret=wx.MP_SECRET,
        wechat_api_base=wechat_fake.base_url,
        wxa_appid=wx.WXA_APPID,
        wxa_secret=wx.WXA_SECRET,
    )
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def login(client: TestClient, fake: FakeWeChat, code: str, openid: str) -> dict[str, str]:
    fake.js_codes[code] = openid
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": code})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def file_by_intake(client: TestClient, session: dict[str, str]) -> str:
    resident = Resident()
    said: str | None = resident.opening()
    while said is not None:
        resp = await client.post("/api/v1/intake/messages", json={"text": said}, headers=session)
        assert resp.status == 200, await resp.text()
        said = resident.answer(said, (await resp.json())["reply"])
    assert resident.code
    return resident.code


async def clerk_completes_the_case(app: Any, code: str) -> tuple[int, int]:
    """What the window does after filing: the handling committee, both parties' names and
    phones (the agreement names them; each signer's code goes to their phone)."""
    async with app[keys.DB].transaction() as session:
        case = await session.scalar(select(Case).where(Case.code == code))
        case.organisation = ORGANISATION
        parties = (await session.scalars(
            select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
        )).all()
        parties[0].name, parties[0].phone = "王建国", APPLICANT_PHONE
        parties[1].name, parties[1].phone = "刘某", RESPONDENT_PHONE
        return case.id, parties[1].id


async def a_mediator(app: Any) -> int:
    """m1 (王调解) in the registry, free every day, with the phone their code goes to."""
    registry = app[keys.BOOKING].registry
    row = {"code": "M-m1", "name": "王调解", "username": "m1", "hours": "mon-sun 00:00-24:00"}
    mediator = await registry.save_mediator(row, "test")
    async with app[keys.DB].transaction() as session:
        (await session.get(Mediator, mediator.id)).phone = MEDIATOR_PHONE
    return mediator.id


async def web_view(client: TestClient, session: dict[str, str], path: str) -> dict[str, str]:
    """What the mini-program's web-view does: a ticket, the page with it, the cookie back."""
    resp = await client.post("/api/v1/me/ticket", headers=session)
    assert resp.status == 200
    ticket = await resp.json()
    assert 30 <= ticket["expires_in"] <= 120
    resp = await client.get(f"{path}?ticket={ticket['ticket']}", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == path
    assert "ticket" not in resp.headers["Location"]
    cookie = SimpleCookie(resp.headers["Set-Cookie"])["fq_h5"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    client.session.cookie_jar.clear()  # each request below names its credential itself
    # Spent: the same ticket opens nothing a second time.
    again = await client.get(f"{path}?ticket={ticket['ticket']}", allow_redirects=False)
    assert again.status == 401
    return {"Cookie": f"fq_h5={cookie.value}"}


async def test_a_mini_program_resident_does_everything_from_their_own_space(client, wechat_fake):
    app = client.app
    me = await login(client, wechat_fake, "js-me", "wxa-me-1")
    other = await login(client, wechat_fake, "js-other", "wxa-other-1")
    code = await file_by_intake(client, me)
    await file_by_intake(client, other)  # another resident, with a case of their own
    case_id, respondent = await clerk_completes_the_case(app, code)
    mine = await (await client.get("/api/v1/me/cases", headers=me)).json()
    assert [c["code"] for c in mine["cases"]] == [code] and mine["cases"][0]["stage"] == "accepted"

    # Staff offer times with a mediator (video); the resident sees them and may confirm.
    booking = app[keys.BOOKING]
    mediator_id = await a_mediator(app)
    offered = await booking.flow.propose(code, mediator_id, STAFF, mode="video")
    detail = await (await client.get(f"/api/v1/me/cases/{code}", headers=me)).json()
    seen = detail["booking"]
    assert seen["id"] == offered["id"] and seen["status"] == "proposed"
    assert seen["actions"] == ["confirm", "reschedule"] and seen["slots"]
    assert detail["stage"] == "booking_offered" and detail["room"] is None
    slot = seen["slots"][0]["id"]
    base = f"/api/v1/me/cases/{code}"
    for method, path in (("GET", base), ("GET", base + "/booking"), ("GET", base + "/room"),
                         ("POST", base + "/booking/confirm")):
        resp = await client.request(method, path, headers=other,
                                    json={"slot_id": slot, "consent": True})
        assert resp.status == 403, path
        assert (await resp.json())["error"]["code"] == "not_party"
    resp = await client.post(base + "/booking/confirm", headers=me,
                             json={"slot_id": slot, "consent": True})
    assert resp.status == 200, await resp.text()
    confirmed = await resp.json()
    assert confirmed["status"] == "pending" and confirmed["me"]["confirmed"]
    assert confirmed["actions"] == ["reschedule"]
    # The respondent confirms by their link, the mediator accepts: the booking is confirmed,
    # and the resident's progress says so (the case status alone stays where it was).
    party = next(p["id"] for p in confirmed["parties"] if p["role"] == "respondent")
    await booking.flow.choose(offered["id"], Actor(f"party:{respondent}", party_id=party), slot,
                              consent=True)
    await booking.flow.accept(offered["id"], STAFF)
    detail = await (await client.get(base, headers=me)).json()
    assert detail["booking"]["status"] == "confirmed"
    assert (detail["stage"], detail["stage_name"]) == ("booking_confirmed", "已约定调解时间")
    assert detail["status"] == "accepted"

    # The room: closed until half an hour before; then the resident's own join link.
    resp = await client.get(base + "/room", headers=me)
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "room_closed"
    starts = detail["booking"]["starts_at"]
    app[room_routes.REGISTRY_KEY].clock = lambda: datetime.fromisoformat(starts)
    resp = await client.get(base + "/room", headers=me)
    assert resp.status == 200, await resp.text()
    room = await resp.json()
    assert "/h5/room/" in room["url"] and room["role"] == "party_a"
    assert (await (await client.get(base, headers=me)).json())["room"]["url"] == room["url"]
    page = room["url"].split("://", 1)[1].split("/", 1)[1]
    assert (await client.get("/" + page)).status == 200
    # In the web-view: a page that sends the resident into the room with that link.
    view = await web_view(client, me, f"/h5/me/cases/{code}/room")
    resp = await client.get(f"/h5/me/cases/{code}/room", headers=view, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == room["url"]

    # The agreement: drafted and issued by the mediator; waiting for the resident's signature.
    mediator = await staff_headers(app)
    resp = await client.post(f"/api/v1/cases/{code}/agreement", headers=mediator)
    assert resp.status == 200, await resp.text()
    draft = await resp.json()
    doc = draft["code"]
    resp = await client.put(f"/api/v1/documents/{doc}/draft", headers=mediator,
                            json=complete(draft["data"]))
    assert (await resp.json())["problems"] == []
    assert (await client.post(f"/api/v1/documents/{doc}/issue", headers=mediator)).status == 200
    detail = await (await client.get(base, headers=me)).json()
    assert detail["to_sign"] == [{"code": doc, "title": draft["title"], "status": "signing",
                                  "my_turn": True, "sign_page": f"/h5/sign/{doc}"}]
    assert detail["stage"] == "agreement_issued"

    # Signing in the web-view, with no link: the page and the API take the web-view's cookie.
    view = await web_view(client, me, f"/h5/sign/{doc}")
    page = await client.get(f"/h5/sign/{doc}", headers=view)
    assert page.status == 200 and "签署调解协议书" in await page.text()
    opened = await (await client.get(f"/api/v1/documents/{doc}", headers=view)).json()
    assert opened["my_turn"] and opened["mine"] == "sig-party-1"
    # A write without the page's header is refused: no form elsewhere can sign with it.
    resp = await client.post(f"/api/v1/documents/{doc}/otp", headers=view)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf"
    resp = await client.post(f"/api/v1/documents/{doc}/otp", headers={**view, **H5})
    assert resp.status == 200, await resp.text()
    sms = app[keys.DOCUMENTS].otp.sender
    resp = await client.post(f"/api/v1/documents/{doc}/sign", headers={**view, **H5},
                             json={"code": sms.last_code(APPLICANT_PHONE),
                                   "signature": png_data_url()})
    assert resp.status == 200, await resp.text()
    # Another resident's web-view opens nothing of this case.
    theirs = await web_view(client, other, "/h5/verify")
    assert (await client.get(f"/h5/sign/{doc}", headers=theirs)).status == 403
    assert (await client.get(f"/api/v1/documents/{doc}", headers=theirs)).status == 403
    assert (await client.get(f"/h5/delivery/{doc}", headers=theirs)).status == 403

    # The others sign and the seal is applied.
    t_resp = issue_token(app[keys.SETTINGS].secret, purpose="sign", case_id=case_id,
                         party_id=respondent)
    await client.get(f"/api/v1/documents/{doc}?t={t_resp}")
    await client.post(f"/api/v1/documents/{doc}/otp?t={t_resp}")
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={t_resp}",
                             json={"code": sms.last_code(RESPONDENT_PHONE),
                                   "signature": png_data_url()})
    assert resp.status == 200, await resp.text()
    await client.get(f"/api/v1/documents/{doc}", headers=mediator)
    await client.post(f"/api/v1/documents/{doc}/otp", headers=mediator)
    resp = await client.post(f"/api/v1/documents/{doc}/sign", headers=mediator,
                             json={"code": sms.last_code(MEDIATOR_PHONE),
                                   "signature": png_data_url()})
    assert resp.status == 200, await resp.text()
    sealer = await sealer_headers(app)
    await client.get(f"/api/v1/documents/{doc}", headers=sealer)
    app[keys.DOCUMENTS].otp.resend_after = 0
    await client.post(f"/api/v1/documents/{doc}/otp", headers=sealer)
    resp = await client.post(f"/api/v1/documents/{doc}/seal", headers=sealer,
                             json={"code": sms.last_code(SEALER_PHONE)})
    assert resp.status == 200, await resp.text()

    # Consent to electronic service, read first in the space; then delivery and receipt.
    detail = await (await client.get(base, headers=me)).json()
    assert detail["to_sign"] == [] and detail["stage"] == "agreement_sealed"
    assert "电子送达" in detail["consent"]["text"] and detail["consent"]["consented_at"] is None
    resp = await client.post(f"/api/v1/cases/{code}/service-consent", headers=me)
    assert resp.status == 200, await resp.text()
    resp = await client.post(f"/api/v1/documents/{doc}/deliver", headers=mediator)
    assert resp.status == 200, await resp.text()
    detail = await (await client.get(base, headers=me)).json()
    assert detail["consent"]["consented_at"]
    (served,) = detail["delivered"]
    assert served["code"] == doc and served["acknowledged_at"] is None
    resp = await client.post(f"/api/v1/documents/{doc}/delivery/acknowledge", headers=other)
    assert resp.status == 403
    view = await web_view(client, me, served["delivery_page"])
    assert (await client.get(served["delivery_page"], headers=view)).status == 200
    resp = await client.post(f"/api/v1/documents/{doc}/delivery/acknowledge",
                             headers={**view, **H5})
    assert resp.status == 200, await resp.text()
    detail = await (await client.get(base, headers=me)).json()
    assert detail["delivered"][0]["acknowledged_at"]
    assert (detail["stage"], detail["stage_name"]) == ("acknowledged", "已签收")
    names = [s["name"] for s in detail["steps"]]
    assert names[:1] == ["受理"] and "已约定调解时间" in names and "协议已生效" in names


async def test_a_thread_with_the_mediator_both_ways_audited(client, wechat_fake):
    app = client.app
    me = await login(client, wechat_fake, "js-me", "wxa-me-2")
    other = await login(client, wechat_fake, "js-other", "wxa-other-2")
    code = await file_by_intake(client, me)
    case_id, _ = await clerk_completes_the_case(app, code)
    url = (await (await client.get(f"/api/v1/me/cases/{code}", headers=me)).json())[
        "messages_url"]
    assert url == f"/api/v1/cases/{code}/messages"
    resp = await client.post(url, headers=me, json={"text": "请问调解需要带什么材料？"})
    assert resp.status == 200, await resp.text()
    asked = await resp.json()
    assert asked["side"] == "party" and asked["image_url"] is None
    form = FormData()
    form.add_field("file", jpeg_bytes(), filename="欠条.jpg", content_type="image/jpeg")
    resp = await client.post(url + "/image", headers=me, data=form)
    assert resp.status == 200, await resp.text()
    image_url = (await resp.json())["image_url"]
    image = await client.get(image_url, headers=me)
    assert image.status == 200 and image.headers["Content-Type"] == "image/jpeg"
    # The mediator reads the party's thread and answers it in the console.
    mediator = await staff_headers(app)
    thread = await (await client.get(url, headers=mediator)).json()
    applicant = next(p for p in thread["parties"] if p["role"] == "applicant")
    assert [m["party_id"] for m in thread["messages"]] == [applicant["id"]] * 2
    resp = await client.post(url, headers=mediator,
                             json={"text": "带上欠条原件和身份证。", "party_id": applicant["id"]})
    assert resp.status == 200
    page = await (await client.get(f"/console/cases/{code}", headers=mediator)).text()
    assert 'id="messages"' in page and "/static/case_messages.js" in page
    mine = await (await client.get(url, headers=me)).json()
    assert [(m["side"], m["text"]) for m in mine["messages"]] == [
        ("party", "请问调解需要带什么材料？"), ("party", ""), ("staff", "带上欠条原件和身份证。")]
    assert mine["parties"] == []
    # Nobody else reads it or writes into it.
    assert (await client.get(url, headers=other)).status == 403
    assert (await client.get(image_url, headers=other)).status == 403
    assert (await client.post(url, headers=other, json={"text": "我也说两句"})).status == 403
    async with app[keys.DB].read() as session:
        logged = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.case_id == case_id, AuditEntry.action == "message.sent"))).all()
    assert len(logged) == 3


async def test_a_ticket_opens_only_its_own_residents_pages(client, wechat_fake):
    me = await login(client, wechat_fake, "js-me", "wxa-me-3")
    code = await file_by_intake(client, me)
    other = await login(client, wechat_fake, "js-other", "wxa-other-3")
    await clerk_completes_the_case(client.app, code)
    # The other resident's ticket opens their own session, which is no party here.
    theirs = await web_view(client, other, f"/h5/evidence/{code}")
    assert (await client.get(f"/h5/evidence/{code}", headers=theirs)).status == 403
    assert (await client.get(f"/api/v1/me/cases/{code}", headers=theirs)).status == 403
    view = await web_view(client, me, f"/h5/evidence/{code}")
    assert (await client.get(f"/h5/evidence/{code}", headers=view)).status == 200
    assert (await client.get(f"/h5/me/cases/{code}/booking", headers=view)).status == 200
    # A made-up ticket, or a ticket from no session, opens nothing.
    resp = await client.get(f"/h5/evidence/{code}?ticket=made-up", allow_redirects=False)
    assert resp.status == 401
    assert (await client.post("/api/v1/me/ticket")).status == 401
    # The web-view's cookie buys no mini-program session, and is no console session.
    resp = await client.post("/api/v1/auth/refresh", headers={**view, **H5}, json={})
    assert resp.status == 401
    assert (await client.get("/console/cases", headers=view, allow_redirects=False)).status == 303


async def test_the_resident_asks_for_another_time_and_chooses_another_mediator(
    client, wechat_fake
):
    app = client.app
    me = await login(client, wechat_fake, "js-me", "wxa-me-4")
    code = await file_by_intake(client, me)
    await clerk_completes_the_case(app, code)
    base = f"/api/v1/me/cases/{code}/booking"
    before = await (await client.get(base, headers=me)).json()
    assert before["id"] is None and before["status"] == "none"
    booking = app[keys.BOOKING]
    mediator_id = await a_mediator(app)
    offered = await booking.flow.propose(code, mediator_id, STAFF, mode="video")
    resp = await client.post(base + "/reschedule", headers=me, json={"reason": "那几天要出差"})
    assert resp.status == 200, await resp.text()
    moved = await resp.json()
    assert moved["id"] == offered["id"] and moved["status"] == "proposed"
    assert moved["reason"] == "那几天要出差" and moved["actions"] == ["confirm", "reschedule"]
    # The mediator cannot take it: the applicant may choose another one, from the space.
    await booking.flow.decline(offered["id"], STAFF, "临时有事")
    declined = await (await client.get(base, headers=me)).json()
    assert declined["status"] == "declined" and declined["actions"] == ["mediator"]
    assert [c["id"] for c in declined["choices"]] == [mediator_id]
    slot = moved["slots"][0]["id"]
    resp = await client.post(base + "/confirm", headers=me, json={"slot_id": slot, "consent": True})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "bad_state"
    resp = await client.post(base + "/mediator", headers=me,
                             json={"mediator_id": mediator_id, "mode": "video"})
    assert resp.status == 200, await resp.text()
    again = await resp.json()
    assert again["id"] != offered["id"] and again["status"] == "proposed"
    assert again["mediator"]["id"] == mediator_id and "confirm" in again["actions"]
