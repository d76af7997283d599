"""Probe #10: the case page said "当事人未绑定微信，进展需电话告知" whenever its notice list was
empty, even for parties the platform reaches by WeChat. The note now names the parties that
really have no WeChat channel (or no channel at all), and an empty list just says so."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.storage.models import OutboxMessage
from fengqiao.web import console_texts as T
from tests.conftest import make_settings
from tests.web.docs_helpers import ORGANISATION, make_case, staff_headers


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
