import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.tokens import issue_token, verify_token
from tests.booking.conftest import MEDIATORS_CSV, ORGS_CSV
from tests.web.sessions import staff_session

# Console users (display name, role); the mediators' usernames are in the registry CSV.
USERS = {
    "admin": ("管理员", "admin"),
    "window": ("窗口", "staff"),
    "zhangming": ("张明", "mediator"),
    "ciren": ("次仁", "mediator"),
}
SESSIONS: dict[str, dict[str, str]] = {}


def as_user(name, write=False):
    """Headers of ``name``'s console session; with its CSRF token only for writes."""
    headers = dict(SESSIONS[name])
    if not write:
        headers.pop("X-CSRF-Token")
    return headers


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        SESSIONS.clear()
        for username, (name, role) in USERS.items():
            SESSIONS[username] = await staff_session(app, username, name, role=role)
        yield client


async def seed(client):
    for kind, text in (("organisations", ORGS_CSV), ("mediators", MEDIATORS_CSV)):
        resp = await client.post(
            f"/api/v1/booking/registry/{kind}/import",
            data=text.encode(),
            headers=as_user("admin", write=True) | {"Content-Type": "text/csv"},
        )
        assert resp.status == 200, await resp.text()
    filed = await client.app[keys.CASES].file_case(
        NewCase(
            description="工地拖欠工资",
            channel="mp",
            actor="test",
            type_code="labor",
            type_name="劳动争议",
            risk="blue",
            region="城关镇",
            applicant=PartyInfo(name="王建国", phone="13800000001", openid="o-a", channel="mp"),
            respondent=PartyInfo(name="刘某", phone="13900000002"),
        )
    )
    return filed.code


async def test_from_recommendation_to_a_confirmed_session(client):
    code = await seed(client)
    resp = await client.get(f"/api/v1/booking/cases/{code}/recommendations")
    assert resp.status == 401
    resp = await client.get(
        f"/api/v1/booking/cases/{code}/recommendations", headers=as_user("window")
    )
    rec = await resp.json()
    top = rec["mediators"][0]
    assert top["name"] == "张明" and "擅长劳动争议" in top["reasons"]

    resp = await client.post(
        f"/api/v1/booking/cases/{code}/proposals",
        json={"mediator_id": top["id"]},
        headers=as_user("window"),
    )
    assert resp.status == 403  # no CSRF token
    resp = await client.post(
        f"/api/v1/booking/cases/{code}/proposals",
        json={"mediator_id": top["id"]},
        headers=as_user("window", write=True),
    )
    assert resp.status == 201
    proposal = await resp.json()
    links = {p["role"]: p["link"].split("/h5/booking/")[1] for p in proposal["parties"]}
    slot = proposal["slots"][0]

    resp = await client.get(f"/api/v1/booking/party/{links['respondent']}")
    seen = await resp.json()
    assert seen["me"]["role"] == "respondent" and "link" not in seen["me"]
    assert "刘某" not in await resp.text() and "13900000002" not in await resp.text()
    resp = await client.post(
        f"/api/v1/booking/party/{links['respondent']}/confirm", json={"slot_id": slot["id"]}
    )
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "consent_required"
    for role in ("respondent", "applicant"):
        resp = await client.post(
            f"/api/v1/booking/party/{links[role]}/confirm",
            json={"slot_id": slot["id"], "consent": True},
        )
        assert resp.status == 200
    assert (await resp.json())["status"] == "pending"

    bid = proposal["id"]
    resp = await client.post(
        f"/api/v1/booking/bookings/{bid}/accept", headers=as_user("ciren", write=True)
    )
    assert resp.status == 403
    resp = await client.post(
        f"/api/v1/booking/bookings/{bid}/accept", headers=as_user("zhangming", write=True)
    )
    body = await resp.json()
    assert body["status"] == "confirmed" and body["starts_at"] == slot["starts_at"]

    me = await (await client.get("/api/v1/booking/me", headers=as_user("zhangming"))).json()
    resp = await client.get(
        f"/api/v1/booking/mediators/{me['id']}/calendar?from={slot['starts_at'][:10]}",
        headers=as_user("zhangming"),
    )
    cal = await resp.json()
    assert [b["id"] for b in cal["bookings"]] == [bid]
    resp = await client.get(
        f"/api/v1/booking/mediators/{me['id']}/calendar", headers=as_user("ciren")
    )
    assert resp.status == 403

    resp = await client.get(me["ics_url"].replace("http://fengqiao.test", ""))
    assert resp.status == 200 and resp.content_type == "text/calendar"
    feed = await resp.text()
    assert "BEGIN:VEVENT" in feed and code in feed and "STATUS:CONFIRMED" in feed
    resp = await client.get("/api/v1/booking/feeds/not-a-token.ics")
    assert resp.status == 404


async def test_party_reschedule_and_bad_links(client):
    code = await seed(client)
    rec = await (
        await client.get(f"/api/v1/booking/cases/{code}/recommendations", headers=as_user("window"))
    ).json()
    resp = await client.post(
        f"/api/v1/booking/cases/{code}/proposals",
        json={"mediator_id": rec["mediators"][0]["id"], "mode": "video"},
        headers=as_user("window", write=True),
    )
    proposal = await resp.json()
    token = proposal["parties"][0]["link"].split("/h5/booking/")[1]
    resp = await client.post(f"/api/v1/booking/party/{token}/reschedule", json={"reason": ""})
    assert resp.status == 400
    resp = await client.post(
        f"/api/v1/booking/party/{token}/reschedule", json={"reason": "周一要上班"}
    )
    body = await resp.json()
    assert body["version"] == 2 and body["me"]["reschedule_reason"] == "周一要上班"
    resp = await client.get(f"/api/v1/booking/party/{token[:-3]}xyz")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "bad_token"


@pytest.mark.parametrize("purpose", ["sign", "delivery", "evidence"])
async def test_a_link_made_for_another_purpose_opens_no_booking(client, purpose):
    """A party's signing (or delivery, evidence) link names the same case and party as its
    booking link, yet it may neither see nor move the booking."""
    code = await seed(client)
    rec = await (
        await client.get(f"/api/v1/booking/cases/{code}/recommendations", headers=as_user("window"))
    ).json()
    resp = await client.post(
        f"/api/v1/booking/cases/{code}/proposals",
        json={"mediator_id": rec["mediators"][0]["id"]},
        headers=as_user("window", write=True),
    )
    proposal = await resp.json()
    secret = client.app[keys.SETTINGS].secret
    claims = verify_token(secret, proposal["parties"][0]["link"].split("/h5/booking/")[1])
    other = issue_token(secret, purpose=purpose, case_id=claims.case_id, party_id=claims.party_id)
    slot = proposal["slots"][0]["id"]
    for method, path, body in (
        ("GET", "", None),
        ("POST", "/reschedule", {"reason": "周一要上班"}),
        ("POST", "/confirm", {"slot_id": slot, "consent": True}),
        ("POST", "/mediator", {}),
    ):
        resp = await client.request(method, f"/api/v1/booking/party/{other}{path}", json=body)
        assert resp.status == 403, (path, await resp.text())
        assert (await resp.json())["error"]["code"] == "wrong_purpose"
    after = await (
        await client.get(f"/api/v1/booking/bookings/{proposal['id']}", headers=as_user("window"))
    ).json()
    assert (after["version"], after["status"], after["slots"]) == (1, "proposed", proposal["slots"])
    assert not any(p["confirmed"] or p["consented"] for p in after["parties"])


async def test_malformed_calendar_and_subsidy_queries_are_400_naming_the_field(client):
    await seed(client)
    me = await (await client.get("/api/v1/booking/me", headers=as_user("zhangming"))).json()
    base = f"/api/v1/booking/mediators/{me['id']}"
    for path, field in (
        ("/calendar?days=abc", "days"),
        ("/calendar?days=1.5", "days"),
        ("/subsidy?year=abc", "year"),
        ("/subsidy?year=99999", "year"),
        ("/subsidy?year=-1", "year"),
    ):
        resp = await client.get(base + path, headers=as_user("zhangming"))
        assert resp.status == 400, (path, await resp.text())
        error = (await resp.json())["error"]
        assert error["code"] == "invalid_field" and error["problems"][0]["field"] == field, path
        assert field in error["message"]
    resp = await client.get(base + "/calendar?days=3", headers=as_user("zhangming"))
    cal = await resp.json()
    assert resp.status == 200 and cal["to"] > cal["from"]
    resp = await client.get(base + "/subsidy?year=2026", headers=as_user("zhangming"))
    tally = await resp.json()
    assert resp.status == 200 and [t["month"] for t in tally][:2] == ["2026-01", "2026-02"]


async def test_registry_import_is_all_or_nothing_and_admin_only(client):
    bad = "code,name,organisation\nM9,甲,NOPE\n,乙,\n"
    resp = await client.post(
        "/api/v1/booking/registry/mediators/import",
        data=bad.encode(),
        headers=as_user("window", write=True),
    )
    assert resp.status == 403
    resp = await client.post(
        "/api/v1/booking/registry/mediators/import",
        data=bad.encode(),
        headers=as_user("admin", write=True),
    )
    body = await resp.json()
    assert resp.status == 400 and body["created"] == 0
    assert [e.split("：")[0] for e in body["errors"]] == ["第2行", "第3行"]
    reg = await (await client.get("/api/v1/booking/registry", headers=as_user("admin"))).json()
    assert reg["mediators"] == []


async def test_openapi_documents_booking(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/booking/cases/{code}/proposals" in spec["paths"]
    assert "/api/v1/booking/party/{token}/confirm" in spec["paths"]


async def test_the_applicant_picks_a_mediator_from_the_top_few(client):
    code = await seed(client)
    booking = client.app[keys.BOOKING]
    case = await client.app[keys.CASES].get(code)
    from sqlalchemy import select

    from fengqiao.storage.models import CaseParty

    async with client.app[keys.DB].read() as session:
        parties = {
            p.role: p.id
            for p in (
                await session.scalars(select(CaseParty).where(CaseParty.case_id == case.id))
            ).all()
        }
    link = booking.links.url(case.id, parties["applicant"]).split("/h5/booking/")[1]
    other = booking.links.url(case.id, parties["respondent"]).split("/h5/booking/")[1]

    seen = await (await client.get(f"/api/v1/booking/party/{link}")).json()
    assert seen["status"] == "none" and len(seen["choices"]) == 3
    assert seen["choices"][0]["reasons"]
    assert (await (await client.get(f"/api/v1/booking/party/{other}")).json())["choices"] == []
    resp = await client.post(f"/api/v1/booking/party/{other}/mediator", json={})
    assert resp.status == 403
    resp = await client.post(f"/api/v1/booking/party/{link}/mediator", json={"mediator_id": 99999})
    assert resp.status == 400
    second = seen["choices"][1]
    resp = await client.post(
        f"/api/v1/booking/party/{link}/mediator",
        json={"mediator_id": second["id"], "mode": "video"},
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert body["status"] == "proposed" and body["mediator"]["id"] == second["id"]
    assert body["mode"] == "video" and body["me"]["role"] == "applicant"
    # the respondent's link now shows the same booking
    seen = await (await client.get(f"/api/v1/booking/party/{other}")).json()
    assert seen["id"] == body["id"]


async def test_a_mediator_records_leave_and_is_not_offered_then(client):
    code = await seed(client)
    me = await (await client.get("/api/v1/booking/me", headers=as_user("zhangming"))).json()
    before = await (
        await client.get(f"/api/v1/booking/cases/{code}/recommendations", headers=as_user("window"))
    ).json()
    first = next(m for m in before["mediators"] if m["id"] == me["id"])["first_slot"]
    day = first[:10]
    resp = await client.post(
        f"/api/v1/booking/mediators/{me['id']}/absences",
        json={"starts_at": f"{day}T00:00", "ends_at": f"{day}T23:59", "reason": "年休假"},
        headers=as_user("ciren", write=True),
    )
    assert resp.status == 403
    resp = await client.post(
        f"/api/v1/booking/mediators/{me['id']}/absences",
        json={"starts_at": f"{day}T00:00", "ends_at": f"{day}T23:59", "reason": "年休假"},
        headers=as_user("zhangming", write=True),
    )
    assert resp.status == 201
    after = await (
        await client.get(f"/api/v1/booking/cases/{code}/recommendations", headers=as_user("window"))
    ).json()
    moved = next(m for m in after["mediators"] if m["id"] == me["id"])["first_slot"]
    assert moved[:10] > day


async def test_a_form_without_its_boundary_is_a_400_not_a_server_error(client):
    """Found by schemathesis: multipart/form-data with no boundary used to answer 500."""
    await seed(client)
    me = await (await client.get("/api/v1/booking/me", headers=as_user("zhangming"))).json()
    url = f"/api/v1/booking/mediators/{me['id']}/absences"
    form = {"Content-Type": "multipart/form-data"}
    resp = await client.post(url, data=b"x", headers=as_user("zhangming", write=True) | form)
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "bad_form"
    resp = await client.post(url, data=b"x", headers=as_user("zhangming") | form)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf"


async def test_ids_beyond_64_bits_in_bodies_are_400_naming_the_field(client):
    # Probe report #3: these were 500s (OverflowError in SQLite) instead of 400s.
    code = await seed(client)
    rec = await (
        await client.get(f"/api/v1/booking/cases/{code}/recommendations", headers=as_user("window"))
    ).json()
    proposal = await (await client.post(
        f"/api/v1/booking/cases/{code}/proposals",
        json={"mediator_id": rec["mediators"][0]["id"], "mode": "video"},
        headers=as_user("window", write=True),
    )).json()
    token = proposal["parties"][0]["link"].split("/h5/booking/")[1]
    huge = 10**30
    staff = as_user("window", write=True)
    tries = [
        (f"/api/v1/booking/party/{token}/confirm", {"slot_id": huge, "consent": True}, {},
         "slot_id"),
        (f"/api/v1/booking/party/{token}/mediator", {"mediator_id": huge}, {}, "mediator_id"),
        (f"/api/v1/booking/cases/{code}/proposals", {"mediator_id": huge}, staff, "mediator_id"),
        (f"/api/v1/booking/cases/{code}/bookings",
         {"mediator_id": huge, "starts_at": "2030-01-07T10:00"}, staff, "mediator_id"),
        (f"/api/v1/booking/bookings/{proposal['id']}/no_show", {"party_ids": [huge]}, staff,
         "party_ids.0"),
    ]
    for path, body, headers, field in tries:
        resp = await client.post(path, json=body, headers=headers)
        assert resp.status == 400, (path, resp.status, await resp.text())
        error = (await resp.json())["error"]
        assert error["code"] == "invalid_field" and f"字段 {field} " in error["message"], error
        assert "太大" in error["message"], error
