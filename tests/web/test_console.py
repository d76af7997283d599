import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from fengqiao import keys
from fengqiao.accounts import create_user
from fengqiao.app import create_app
from tests.cases.helpers import resident_case

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        db = client.app[keys.DB]
        await create_user(db, "li", PASSWORD, "staff", display_name="李窗口")
        await create_user(db, "boss", PASSWORD, "leader", display_name="王主任")
        await create_user(
            db, "zhao", PASSWORD, "mediator", display_name="赵调解", organisation="县劳资纠纷调解室"
        )
        yield client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(client, username="li", password=PASSWORD):
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    return await client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf": token},
        allow_redirects=False,
    )


async def test_sign_in_rotates_the_session_id_and_needs_the_form_token(client):
    planted = "attacker-chosen-session-id"
    client.session.cookie_jar.update_cookies({"fq_session": planted})
    resp = await client.post(
        "/console/login", data={"username": "li", "password": PASSWORD}, allow_redirects=False
    )
    assert resp.status == 400  # no CSRF token: refused
    resp = await sign_in(client, password="wrong password!")
    assert resp.status == 401 and "用户名或密码错误" in await resp.text()
    resp = await sign_in(client)
    assert resp.status == 303 and resp.headers["Location"] == "/console/cases"
    cookie = resp.cookies["fq_session"]
    assert cookie.value != planted and len(cookie.value) >= 40
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = await client.get("/console/cases")
    assert page.status == 200 and "李窗口" in await page.text()
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


async def test_pages_need_a_session_and_posts_need_the_token(client):
    resp = await client.get("/console/cases", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/console/login")
    assert (await client.get("/api/v1/stats")).status == 401
    filed = await client.app[keys.CASES].file_case(resident_case())
    await sign_in(client)
    resp = await client.post(
        f"/console/cases/{filed.code}/route", data={"csrf": "forged"}, allow_redirects=False
    )
    assert resp.status == 403
    assert (await client.app[keys.CASES].get(filed.code)).status == "accepted"


async def test_staff_route_whistle_close_from_the_console(client):
    cases = client.app[keys.CASES]
    filed = await cases.file_case(resident_case())
    await sign_in(client)
    page = await client.get(f"/console/cases/{filed.code}")
    html = await page.text()
    token = csrf_of(html)
    assert "王小明" in html and "13912345678" in html  # staff see the parties in full
    assert "县劳资纠纷调解室" in html  # the rule's suggestion

    async def act(action, **data):
        resp = await client.post(
            f"/console/cases/{filed.code}/{action}",
            data={"csrf": token, **data},
            allow_redirects=False,
        )
        assert resp.status == 303
        return await (await client.get(f"/console/cases/{filed.code}")).text()

    html = await act("route", organisation="县人民调解委员会")
    assert "改派须填写理由" in html
    html = await act("route")
    assert "分流" in html and (await cases.get(filed.code)).status == "routed"
    assert '<p class="flash" role="status">分流已完成</p>' in html  # says what was done
    await act("whistle", departments=["公安局"], reason="多部门联动")
    html = await act("close", outcome="success", summary="达成协议")
    assert "反馈" in html and "调解成功" in html
    html = await act("archive")
    assert "当前状态" not in html
    detail = await cases.case_detail(filed.code)
    assert detail["status"] == "archived"
    assert {e["actor"] for e in detail["timeline"][1:]} == {"staff:li"}


async def test_leader_sees_masked_parties_and_can_verify_audit(client):
    cases = client.app[keys.CASES]
    filed = await cases.file_case(resident_case())
    await sign_in(client, "boss")
    html = await (await client.get(f"/console/cases/{filed.code}")).text()
    assert "王小明" not in html and "13912345678" not in html and "139****5678" in html
    # Leaders do not answer parties: no 留言 section loads, so no link points to one.
    assert 'href="#messages"' not in html and 'href="#timeline"' in html
    assert "case_messages.js" not in html  # nor a call the API refuses them
    resp = await client.get("/api/v1/audit/verify")
    assert (await resp.json())["ok"] is True
    async with client.app[keys.DB].transaction() as session:
        await session.execute(text("UPDATE audit_log SET action = 'x' WHERE id = 1"))
    body = await (await client.get("/api/v1/audit/verify")).json()
    assert body == {
        "ok": False,
        "entries": 0,
        "first_broken_id": 1,
        "reason": "entry content does not match its hash",
    }
    assert "第 1 号记录" in await (await client.get("/console/audit")).text()


async def test_mediator_sees_only_their_organisation(client):
    cases = client.app[keys.CASES]
    mine = await cases.file_case(resident_case(1))
    other = await cases.file_case(resident_case(2, type_code="traffic", type_name="交通事故纠纷"))
    await cases.route(mine.code, "staff:li")
    await cases.route(other.code, "staff:li")
    await sign_in(client, "zhao")
    html = await (await client.get("/console/cases")).text()
    assert mine.code in html and other.code not in html
    assert (await client.get(f"/console/cases/{other.code}")).status == 403
    assert (await client.get("/api/v1/stats")).status == 403


async def test_register_walk_in_case_and_list_search(client):
    await sign_in(client)
    html = await (await client.get("/console/register")).text()
    resp = await client.post(
        "/console/register",
        data={
            "csrf": csrf_of(html),
            "channel": "phone",
            "type": "other",
            "risk": "yellow",
            "description": "来电反映邻居装修噪音",
            "applicant_name": "陈大文",
            "applicant_phone": "13711112222",
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    code = resp.headers["Location"].rsplit("/", 1)[-1]
    case = await client.app[keys.CASES].get(code)
    assert case.channel == "phone" and case.risk == "yellow"
    listing = await (await client.get("/console/cases", params={"q": "陈大"})).text()
    assert code in listing and "陈**" in listing and "陈大文" not in listing
    api = await (await client.get("/api/v1/console/cases", params={"risk": "yellow"})).json()
    assert [i["code"] for i in api["items"]] == [code]


async def test_stats_api_and_progress_page(client):
    cases = client.app[keys.CASES]
    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    await cases.close(filed.code, "staff:li", outcome="success", summary="好")
    await cases.refresh_stats()
    await sign_in(client, "boss")
    stats = await (await client.get("/api/v1/stats")).json()
    assert stats["total"] == 1 and stats["resolution_rate"] == 1.0
    assert (await client.get("/dashboard/")).status == 200
    page = await client.get("/h5/progress", params={"code": filed.code})
    html = await page.text()
    api = await (await client.get(f"/api/v1/cases/{filed.code}/progress")).json()
    for step in api["steps"]:
        assert step["name"] in html and step["description"] in html
    assert "王小明" not in html
    assert (await client.get("/h5/progress", params={"code": "FQ0000-000000-0"})).status == 404
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert {"/api/v1/stats", "/api/v1/audit/verify", "/api/v1/console/cases"} <= set(spec["paths"])


async def test_a_disabled_account_is_signed_out_and_cannot_sign_in(client):
    from fengqiao.accounts import reset_password, set_active

    db = client.app[keys.DB]
    await sign_in(client, "boss")
    assert (await client.get("/api/v1/stats")).status == 200
    await set_active(db, "boss", False)
    assert (await client.get("/api/v1/stats")).status == 401  # the open session has ended
    resp = await sign_in(client, "boss")
    assert resp.status == 401 and "用户名或密码错误" in await resp.text()
    await set_active(db, "boss", True)
    assert (await client.get("/api/v1/stats")).status == 401  # enabling revives no session
    assert (await sign_in(client, "boss")).status == 303
    assert (await client.get("/api/v1/stats")).status == 200
    # A password reset signs out whoever held the old one.
    await reset_password(db, "boss", "brand new horse staple")
    assert (await client.get("/api/v1/stats")).status == 401
    assert (await sign_in(client, "boss")).status == 401
    assert (await sign_in(client, "boss", password="brand new horse staple")).status == 303
    assert (await client.get("/api/v1/stats")).status == 200
