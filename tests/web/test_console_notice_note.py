"""Probe #10: the case page said "当事人未绑定微信，进展需电话告知" whenever its notice list was
empty, even for parties the platform reaches by WeChat. The note now names the parties that
really have no WeChat channel (or no channel at all), and an empty list just says so."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.storage.models import OutboxMessage, utcnow
from fengqiao.web import console_texts as T
from tests.booking.test_link_sms import fake, sms_settings  # noqa: F401
from tests.conftest import make_settings
from tests.web.docs_helpers import ORGANISATION, make_case, staff_headers
from tests.web.sessions import staff_session


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


def notices_of(page: str) -> str:
    return page.split('id="notices"', 1)[1].split("</section>", 1)[0]


async def test_parties_on_wechat_get_no_phone_note_even_with_no_notices(client):
    app = client.app
    case = await make_case(app)  # applicant and respondent both follow the official account
    async with app[keys.DB].transaction() as session:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.case_id == case.case_id))
    headers = await staff_headers(app, "m1", "王调解")
    page = await (await client.get(f"/console/cases/{case.code}",
                                   headers={"Cookie": headers["Cookie"]})).text()
    notices = notices_of(page)
    assert "未绑定微信" not in notices and "电话告知" not in notices
    assert T.NO_NOTICES in notices


async def test_parties_without_wechat_are_named(client):
    app = client.app
    filed = await app[keys.CASES].file_case(NewCase(
        description="邻居装修把我家墙弄裂了，一直不修。", channel="console", actor="test",
        type_code="neighbour", type_name="邻里纠纷", risk="blue",
        applicant=PartyInfo(name="王建国", phone="13912345678"),
        respondent=PartyInfo(name="刘某")))
    async with app[keys.DB].transaction() as session:
        from fengqiao.storage.models import Case

        (await session.get(Case, filed.id)).organisation = ORGANISATION
    headers = await staff_headers(app, "m1", "王调解")
    page = await (await client.get(f"/console/cases/{filed.code}",
                                   headers={"Cookie": headers["Cookie"]})).text()
    notices = notices_of(page)
    assert "申请人" in notices and T.NO_WECHAT_NOTE in notices
    assert "被申请人" in notices and T.NO_CHANNEL_NOTE in notices


async def test_each_notice_names_its_channel(client):
    """Probe2 #6: an SMS notice read 小程序 (anything not mp did)."""
    app = client.app
    case = await make_case(app)
    now = utcnow()
    async with app[keys.DB].transaction() as session:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.case_id == case.case_id))
        for i, channel in enumerate(("mp", "wxa", "sms")):
            session.add(OutboxMessage(
                case_id=case.case_id, channel=channel, openid=f"addr-{i}", kind="status",
                payload={"status_name": f"事项{i}"}, status="sent", attempts=1,
                next_attempt_at=now, dedupe_key=f"test:{i}", created_at=now))
    headers = await staff_headers(app, "m1", "王调解")
    page = await (await client.get(f"/console/cases/{case.code}",
                                   headers={"Cookie": headers["Cookie"]})).text()
    cells = re.findall(r'<td data-label="渠道">([^<]*)</td>', notices_of(page))
    assert sorted(cells) == sorted(["公众号", "小程序", "短信"]), cells


async def test_a_party_with_a_phone_is_offered_the_sms_case_link(tmp_path, fake):  # noqa: F811
    """Probe2 #8: with SMS links set up, a party with a phone but no WeChat is not told "进展需
    电话告知" beside the 短信发送案件链接 button: the note says the link can be texted."""
    settings = make_settings(tmp_path, **sms_settings(fake),
                             sms_link_template_id=fake.link_template_id)
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        filed = await app[keys.CASES].file_case(NewCase(
            description="工地拖欠工资", channel="cli", actor="test", type_code="labor",
            type_name="劳动争议", risk="blue", region="城关镇",
            applicant=PartyInfo(name="王建国", phone="13800000001", openid="cli-1",
                                channel="cli"),
            respondent=PartyInfo(name="刘某")))
        headers = await staff_session(app, "chuangkou", "李窗口", role="staff")
        page = await (await client.get(f"/console/cases/{filed.code}", headers=headers)).text()
    notices = notices_of(page)
    assert "短信发送案件链接" in page
    assert T.NO_WECHAT_SMS_NOTE in notices and T.NO_WECHAT_NOTE not in notices
    assert T.NO_CHANNEL_NOTE in notices  # the respondent: no phone, no WeChat
