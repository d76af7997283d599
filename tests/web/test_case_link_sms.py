"""Staff text a party their case link (web/pages/case_link_sms.py) from the case page, when an
SMS provider and its link template are configured (against the local fake of Tencent Cloud
SMS): the link is that party's, audited, and limited like the booking link's SMS."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.storage.models import CaseParty
from fengqiao.tokens import verify_token
from tests.booking.test_link_sms import RESPONDENT_PHONE, fake, sms_settings  # noqa: F401
from tests.conftest import make_settings
from tests.web.sessions import staff_session


def new_case(n: str) -> NewCase:
    return NewCase(
        description="工地拖欠工资", channel="mp", actor="test", type_code="labor",
        type_name="劳动争议", risk="blue", region="城关镇",
        applicant=PartyInfo(name="王建国", phone="13800000001", openid=f"o-{n}", channel="mp"),
        respondent=PartyInfo(name="刘某", phone=RESPONDENT_PHONE))


async def test_staff_text_a_party_their_case_link(tmp_path: Path, fake) -> None:  # noqa: F811
    settings = make_settings(tmp_path, **sms_settings(fake),
                             sms_link_template_id=fake.link_template_id)
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        filed = await app[keys.CASES].file_case(new_case("a"))
        other = await app[keys.CASES].file_case(new_case("b"))
        async with app[keys.DB].read() as session:
            respondent, elsewhere = [
                await session.scalar(select(CaseParty.id).where(
                    CaseParty.case_id == c.id, CaseParty.role == "respondent"))
                for c in (filed, other)]
        headers = await staff_session(app, "chuangkou", "李窗口", role="staff")
        page = await (await client.get(f"/console/cases/{filed.code}", headers=headers)).text()
        assert page.count(">短信发送案件链接</button>") == 2  # each party with a phone
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        send = f"/console/cases/{filed.code}/parties/{respondent}/sms"
        resp = await client.post(send, headers=headers, allow_redirects=False,
                                 data={"csrf": csrf.group(1)})
        assert resp.status == 303
        assert resp.headers["Location"] == f"/console/cases/{filed.code}#party-{respondent}"
        sent = fake.sent[-1]
        assert sent["TemplateId"] == fake.link_template_id
        assert sent["PhoneNumberSet"] == ["+86" + RESPONDENT_PHONE]
        code, url = sent["TemplateParamSet"]
        assert code == filed.code and f"/h5/case/{filed.code}?t=" in url
        claims = verify_token(app[keys.SETTINGS].secret, url.split("t=", 1)[1], "case")
        assert (claims.case_id, claims.party_id) == (filed.id, respondent)
        # The respondent opens their case space with it.
        parts = urlsplit(url)
        assert (await client.get(f"{parts.path}?{parts.query}")).status == 200
        page = await (await client.get(f"/console/cases/{filed.code}", headers=headers)).text()
        assert "已发送短信至 139****0002" in page
        timeline = page.split('id="timeline"', 1)[1].split("</section>", 1)[0]
        assert "短信发送案件链接" in timeline

        # Again within the minute: nothing sent, and the page says why.
        before = len(fake.sent)
        resp = await client.post(send, headers=headers, allow_redirects=False,
                                 data={"csrf": csrf.group(1)})
        assert resp.status == 303 and len(fake.sent) == before
        page = await (await client.get(f"/console/cases/{filed.code}", headers=headers)).text()
        assert "刚刚已给该当事人发过短信" in page

        # Another case's party, an id out of range: not found, nothing sent.
        for path, data, status in (
            (f"/console/cases/{filed.code}/parties/{elsewhere}/sms", {"csrf": csrf.group(1)}, 404),
            (f"/console/cases/{filed.code}/parties/{10**30}/sms", {"csrf": csrf.group(1)}, 404),
        ):
            resp = await client.post(path, headers=headers, allow_redirects=False, data=data)
            assert resp.status == status, (path, resp.status)
        assert len(fake.sent) == before
