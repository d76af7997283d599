"""Staff complete a case's parties on the case page: audited, checked, masked for the leader,
and the timeline names people and actions in Chinese."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.storage.models import AuditEntry, Case, CaseParty
from tests.conftest import make_settings
from tests.web.docs_helpers import make_case, staff_headers
from tests.web.sessions import staff_session

VALID_ID = "11010519491231002X"


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


def form(headers: dict[str, str], **fields: str) -> dict[str, str]:
    return {"csrf": headers["X-CSRF-Token"], **fields}


async def test_a_mediator_completes_the_respondent_and_it_is_audited(client):
    app = client.app
    case = await make_case(app)
    mediator = await staff_headers(app, "m1", "王调解")
    cookie = {"Cookie": mediator["Cookie"]}
    url = f"/console/cases/{case.code}/parties/{case.respondent}"
    resp = await client.post(url, headers=cookie, allow_redirects=False, data=form(
        mediator, role="respondent", name="刘建设", phone="+86 139-1234-5678",
        id_number=VALID_ID, address="城关镇人民路 3 号", agent=""))
    assert resp.status == 303
    async with app[keys.DB].read() as session:
        party = await session.get(CaseParty, case.respondent)
        entry = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "party.updated"))).one()
    assert (party.name, party.phone, party.id_number) == ("刘建设", "13912345678", VALID_ID)
    assert set(entry.detail["changed"]) == {"name", "phone", "id_number", "address"}
    assert VALID_ID not in str(entry.detail) and "13912345678" not in str(entry.detail)
    assert entry.actor == "staff:m1"

    page = await (await client.get(f"/console/cases/{case.code}", headers=cookie)).text()
    assert "修改当事人信息" in page and "王调解" in page  # the timeline, in Chinese, by name
    assert "staff:m1" not in page and "party.updated" not in page
    assert "刘建设" in page and "13912345678" in page


async def test_bad_values_are_explained_and_nothing_changes(client):
    app = client.app
    case = await make_case(app)
    mediator = await staff_headers(app, "m1", "王调解")
    cookie = {"Cookie": mediator["Cookie"]}
    url = f"/console/cases/{case.code}/parties/{case.respondent}"
    for fields, message in (
        ({"phone": "12345"}, "电话号码不正确"),
        ({"id_number": "110105194912310021"}, "证件号码不正确"),
        ({"name": ""}, "请填写当事人姓名"),
        ({"name": "13912345678"}, "姓名里不能填电话号码"),
    ):
        data = form(mediator, role="respondent", name="刘某", address="城关镇幸福路 8 号") | fields
        back = await client.post(url, headers=cookie, data=data, allow_redirects=False)
        # Back to the form that failed, not to the top of the page or the list.
        assert back.headers["Location"] == f"/console/cases/{case.code}#party-{case.respondent}"
        resp = await client.get(back.headers["Location"], headers=cookie)
        text = await resp.text()
        assert resp.status == 200 and message in text, fields
        # Inside that party's form, opened, as an error (red, read out), with what was typed.
        item = text.split(f'id="party-{case.respondent}"', 1)[1].split("</li>", 1)[0]
        assert "<details open>" in item, fields
        shown = item.split('<p class="flash flash-error" role="alert">', 1)[1]
        assert message in shown.split("</p>", 1)[0], fields
        assert 'value="城关镇幸福路 8 号"' in item, fields
        typed = fields.get("phone") or fields.get("id_number") or fields.get("name")
        assert typed is not None and f'value="{typed}"' in item, fields
        # Only once on the page, and gone on the next visit.
        assert text.count(message) == 1, fields
        again = await (await client.get(f"/console/cases/{case.code}", headers=cookie)).text()
        assert message not in again and "<details open>" not in again

    # Every problem is named at once.
    data = form(mediator, role="respondent", name="", phone="12345", id_number="123")
    back = await client.post(url, headers=cookie, data=data, allow_redirects=False)
    text = await (await client.get(back.headers["Location"], headers=cookie)).text()
    for message in ("请填写当事人姓名", "电话号码不正确", "证件号码不正确"):
        assert message in text
    async with app[keys.DB].read() as session:
        party = await session.get(CaseParty, case.respondent)
        assert party.name == "刘某" and party.id_number is None
        assert not (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "party.updated"))).all()


async def test_adding_a_respondent_and_who_may(client):
    app = client.app
    case = await make_case(app)
    mediator = await staff_headers(app, "m1", "王调解")
    add = f"/console/cases/{case.code}/parties"
    data = form(mediator, role="respondent", name="鑫达建筑公司", phone="0891-6321234",
                id_number="91110000600037341L")
    resp = await client.post(add, headers={"Cookie": mediator["Cookie"]}, data=data,
                             allow_redirects=False)
    assert resp.status == 303
    async with app[keys.DB].read() as session:
        names = (await session.scalars(select(CaseParty.name).where(
            CaseParty.case_id == case.case_id))).all()
    assert "鑫达建筑公司" in names
    for who in (await staff_headers(app, "m9", "赵调解", organisation="县交通事故调解室"),
                await staff_session(app, "leader1", role="leader")):
        resp = await client.post(add, headers={"Cookie": who["Cookie"]},
                                 data=form(who, role="respondent", name="某人"),
                                 allow_redirects=False)
        assert resp.status == 403
    leader = await staff_session(app, "leader1", role="leader")
    page = await (await client.get(f"/console/cases/{case.code}", headers=leader)).text()
    assert 'id="add-party"' not in page and "鑫达建筑公司" not in page
    assert re.search(r"鑫\*+", page)


async def test_open_red_cases_come_first_on_the_list(client):
    app = client.app
    red = await make_case(app, suffix="red")
    await make_case(app, suffix="blue")
    async with app[keys.DB].transaction() as session:
        row = await session.get(Case, red.case_id)
        row.risk = "red"
    clerk = await staff_session(app, "clerk1", role="staff")
    page = await (await client.get("/console/cases", headers=clerk)).text()
    urgent = page.split('id="urgent"')[1].split("</section>")[0]
    assert red.code in urgent and "请立即处置" in urgent
    assert page.index(red.code) < page.index('id="case-list"')
