"""The case page is the workspace: what the resident told the intake as labelled fields, the
dialog itself, evidence with its 质证 comments by name, the person in charge by name, the
judicial-confirmation window — masked for the leader, in Chinese, never internal keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.documents import agreement_progress
from fengqiao.storage.models import Case, CaseFile, Document, EvidenceComment
from tests.conftest import make_settings
from tests.web.docs_helpers import ORGANISATION
from tests.web.sessions import staff_session

OTHER_PHONE = "13912345678"
TRANSCRIPT = [
    {"from": "user", "text": "老板拖欠我三个月工资一万八", "at": "2026-12-01T09:00:00+08:00"},
    {"from": "bot", "text": "对方的联系电话是多少？", "at": "2026-12-01T09:00:05+08:00"},
    {"from": "user", "text": f"他电话{OTHER_PHONE}", "at": "2026-12-01T09:01:00+08:00"},
]


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


async def filed_case(app) -> str:
    filed = await app[keys.CASES].file_case(NewCase(
        description="包工头拖欠我三个月工资一万八。", channel="wxa", actor="test",
        type_code="labor", type_name="劳动争议", risk="yellow",
        applicant=PartyInfo(name="王建国", phone="13800000001", openid="o-ws-1", channel="wxa"),
        respondent=PartyInfo(name="刘某", phone=OTHER_PHONE),
        answers={"when": "2026-10", "amount": 18000, "where": "城关镇锦绣家园工地",
                 "employment_form": "没签合同", "other_party_phone": OTHER_PHONE,
                 "wants": "结清工资", "contract_photo": "有"},
        transcript=TRANSCRIPT))
    async with app[keys.DB].transaction() as session:
        case = await session.get(Case, filed.id)
        case.organisation = ORGANISATION
        evidence = CaseFile(case_id=filed.id, kind="evidence", file_key=f"ev/{filed.id}",
                            sha256="0" * 64, mime="image/jpeg", size=2048,
                            original_name="工资条照片.jpg", submitted_by="party:1")
        session.add(evidence)
        await session.flush()
        session.add(EvidenceComment(case_file_id=evidence.id, author="staff:ws-m1",
                                    text="工资条上没有单位盖章"))
    await app[keys.CASES].route(filed.code, "staff:ws-m1", assignee="ws-m1")
    return filed.code


async def mediators_case_page(client) -> str:
    """The case page of a filed case as its organisation's mediator sees it."""
    headers = await staff_session(client.app, "ws-m1", "王调解", role="mediator",
                                  organisation=ORGANISATION)
    code = await filed_case(client.app)
    return await (await client.get(f"/console/cases/{code}",
                                   headers={"Cookie": headers["Cookie"]})).text()


async def test_the_mediator_reads_everything_the_resident_said(client):
    page = await mediators_case_page(client)
    for shown in ("发生时间", "2026年10月", "涉及金额", "18,000元", "发生地点",
                  "城关镇锦绣家园工地", "没签合同", "申请人诉求", "结清工资", "其他信息",
                  "对方电话",
                  OTHER_PHONE, "对话记录（3 条）", "枫桥助手", "老板拖欠我三个月工资一万八",
                  "工资条照片.jpg", "质证意见：工资条上没有单位盖章", "微信小程序"):
        assert shown in page, shown
    assert "承办人</dt><dd>王调解" in page  # by name, not the username
    for key in ("employment_form", "other_party_phone", "staff:ws-m1", "case.route", "wxa<"):
        assert key not in page, key


async def test_each_notice_says_whom_it_was_for(client):
    page = await mediators_case_page(client)
    notices = page.split('id="notices"', 1)[1].split("</section>", 1)[0]
    assert "<th>发给</th>" in notices
    assert re.search(r'<td data-label="发给">申请人王\*+</td>', notices), notices
    assert "o-ws-1" not in page  # the address itself is not shown


async def test_the_leader_reads_it_masked(client):
    app = client.app
    await staff_session(app, "ws-m1", "王调解", role="mediator", organisation=ORGANISATION)
    code = await filed_case(app)
    leader = await staff_session(app, "ws-lead", "王主任", role="leader")
    page = await (await client.get(f"/console/cases/{code}",
                                   headers={"Cookie": leader["Cookie"]})).text()
    assert "139****5678" in page
    assert OTHER_PHONE not in page  # neither in the answers nor in the transcript
    assert "2026年10月" in page and "18,000元" in page


def test_the_judicial_window_is_said_as_people_say_it():
    sealed = Document(status="sealed", sealed_at=datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    # Sealed on 7 December (Beijing time): the day is not counted, the 30th day ends at 24:00.
    assert agreement_progress._judicial_deadline(sealed) == "2027-01-06 24:00"
    naive = Document(status="sealed", sealed_at=datetime(2026, 12, 7, 2, 0))  # from SQLite
    assert agreement_progress._judicial_deadline(naive) == "2027-01-06 24:00"
    assert agreement_progress._judicial_deadline(Document(status="signing")) is None
