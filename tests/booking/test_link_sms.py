"""A party WeChat cannot reach gets their booking link by SMS from the case page, when an SMS
provider and its link template are configured (against the local fake of Tencent Cloud SMS);
without the template the page offers only the links to copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.booking.actor import Actor
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.settings import Settings
from fengqiao.sms import build_link_sender
from fengqiao.tokens import verify_token
from tests.booking.conftest import MEDIATORS_CSV, ORGS_CSV
from tests.conftest import make_settings
from tests.fakes.tencent_sms import FakeTencentSms
from tests.web.sessions import staff_session

RESPONDENT_PHONE = "13900000002"


@pytest.fixture
async def fake():
    server = await FakeTencentSms().start()
    yield server
    await server.close()


def sms_settings(fake: FakeTencentSms) -> dict[str, str]:
    return {"sms_provider": "tencent", "sms_secret_id": fake.secret_id,
            "sms_secret_key": fake.secret_key, "sms_app_id": fake.app_id,
            "sms_sign_name": "枫桥调解", "sms_template_id": fake.template_id,
            "sms_endpoint": fake.url}


def test_no_link_template_no_sms_sender(fake) -> None:
    assert build_link_sender(Settings(**sms_settings(fake))) is None  # type: ignore[arg-type]
    assert build_link_sender(Settings()) is None


async def test_staff_send_the_respondent_their_booking_link_by_sms(tmp_path: Path, fake) -> None:
    settings = make_settings(tmp_path, **sms_settings(fake),
                             sms_link_template_id=fake.link_template_id)
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        booking = app[keys.BOOKING]
        await booking.registry.import_csv("organisations", ORGS_CSV, "test")
        await booking.registry.import_csv("mediators", MEDIATORS_CSV, "test")
        filed = await app[keys.CASES].file_case(NewCase(
            description="工地拖欠工资", channel="mp", actor="test", type_code="labor",
            type_name="劳动争议", risk="blue", region="城关镇",
            applicant=PartyInfo(name="王建国", phone="13800000001", openid="o-a", channel="mp"),
            respondent=PartyInfo(name="刘某", phone=RESPONDENT_PHONE)))
        mediator = (await booking.recommender.recommend(filed.code))["mediators"][0]
        view = await booking.flow.propose(filed.code, mediator["id"], Actor("test", staff=True))
        respondent = next(p for p in view["parties"] if p["role"] == "respondent")
        headers = await staff_session(app, "chuangkou", "李窗口", role="staff")

        page = await (await client.get(f"/console/cases/{filed.code}", headers=headers)).text()
        # Only the party WeChat cannot reach is offered an SMS.
        assert page.count("短信发送预约链接") == 1
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        resp = await client.post(
            f"/console/bookings/{view['id']}/sms", headers=headers, allow_redirects=False,
            data={"csrf": csrf.group(1), "party": str(respondent["id"])})
        assert resp.status == 303
        assert resp.headers["Location"] == f"/console/cases/{filed.code}#bookings"

        sent = fake.sent[-1]
        assert sent["TemplateId"] == fake.link_template_id
        assert sent["PhoneNumberSet"] == ["+86" + RESPONDENT_PHONE]
        code, url = sent["TemplateParamSet"]
        # The same page for the same party; the token is minted anew (its expiry may fall a
        # second later than the one the booking view showed).
        sms_page, sms_token = url.rsplit("/", 1)
        view_page, view_token = respondent["link"].rsplit("/", 1)
        assert code == filed.code and sms_page == view_page
        secret = app[keys.SETTINGS].secret
        sms_claims = verify_token(secret, sms_token, "booking")
        view_claims = verify_token(secret, view_token, "booking")
        assert (sms_claims.case_id, sms_claims.party_id) == (
            view_claims.case_id, view_claims.party_id)
        page = await (await client.get(f"/console/cases/{filed.code}", headers=headers)).text()
        assert "已发送短信至 139****0002" in page
        timeline = page.split('id="timeline"', 1)[1].split("</section>", 1)[0]
        assert "短信发送预约链接" in timeline  # audited, in Chinese

        # A second press within the minute (a double click, an impatient clerk) sends nothing
        # and says why; the party's phone is not flooded.
        before = len(fake.sent)
        resp = await client.post(
            f"/console/bookings/{view['id']}/sms", headers=headers, allow_redirects=False,
            data={"csrf": csrf.group(1), "party": str(respondent["id"])})
        assert resp.status == 303 and len(fake.sent) == before
        page = await (await client.get(f"/console/cases/{filed.code}", headers=headers)).text()
        assert "刚刚已给该当事人发过短信" in page

        # A party of another booking, or none, sends nothing.
        before = len(fake.sent)
        resp = await client.post(
            f"/console/bookings/{view['id']}/sms", headers=headers, allow_redirects=False,
            data={"csrf": csrf.group(1), "party": "999999"})
        assert resp.status == 303 and len(fake.sent) == before
