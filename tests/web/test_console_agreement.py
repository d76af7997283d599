"""The console's agreement editor, through its forms: who is offered what, the form's fields
reaching the draft (instalments, payment methods in Chinese), problems placed beside their
fields, refusals shown as Chinese messages, and the signing page sending staff to the
console. The whole path in a browser is tests/e2e/test_agreement_console.py."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.storage.models import AuditEntry, Document
from tests.conftest import make_settings
from tests.web.docs_helpers import make_case, sealer_headers, staff_headers
from tests.web.sessions import staff_session


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


def visible(html: str) -> str:
    """What a person reads: the page without its tags, attributes and script."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


async def post(client, url: str, headers: dict[str, str], **fields: object):
    data = [("csrf", headers["X-CSRF-Token"])]
    for key, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.append((key, str(one)))
    return await client.post(url, headers={"Cookie": headers["Cookie"]}, data=data,
                             allow_redirects=False)


async def page(client, url: str, headers: dict[str, str]) -> str:
    resp = await client.get(url, headers={"Cookie": headers["Cookie"]})
    assert resp.status == 200, url
    return await resp.text()


async def drafted(client) -> tuple:
    app = client.app
    case = await make_case(app)
    await app[keys.CASES].route(case.code, "staff:clerk", assignee="m1")
    mediator = await staff_headers(app, "m1", "王调解")
    resp = await post(client, f"/console/cases/{case.code}/agreement", mediator)
    assert resp.status == 303
    doc = resp.headers["Location"].rsplit("/", 1)[1]
    return case, doc, mediator


async def test_draft_is_offered_only_while_the_case_is_mediated(client):
    app = client.app
    case = await make_case(app)  # accepted, not yet routed
    mediator = await staff_headers(app, "m1", "王调解")
    html = await page(client, f"/console/cases/{case.code}", mediator)
    assert "调解协议" in html and 'id="form-draft"' not in html
    resp = await post(client, f"/console/cases/{case.code}/agreement", mediator)
    assert resp.headers["Location"].endswith("#agreements")
    html = await page(client, f"/console/cases/{case.code}", mediator)
    assert "当前状态（受理）不能起草调解协议" in html
    async with app[keys.DB].read() as session:
        assert (await session.scalars(select(Document))).all() == []

    await app[keys.CASES].route(case.code, "staff:clerk", assignee="m1")
    html = await page(client, f"/console/cases/{case.code}", mediator)
    assert 'id="form-draft"' in html
    # A leader sees the case but not the agreement's section (no document permission).
    leader = await staff_session(app, "lingdao", "领导", role="leader")
    html = await page(client, f"/console/cases/{case.code}", leader)
    assert 'id="agreements"' not in html


async def test_the_form_reaches_the_draft_and_problems_sit_beside_their_fields(client):
    app = client.app
    case, doc, mediator = await drafted(client)
    html = await page(client, f"/console/agreements/{doc}", mediator)
    text = visible(html)
    for method in ("银行转账", "现金", "微信转账", "支付宝转账", "一次付清", "分期履行"):
        assert method in text
    for key in ("bank_transfer", "alipay", "instalments", "payment", "obligations["):
        assert key not in text

    resp = await post(
        client, f"/console/agreements/{doc}/draft", mediator,
        facts="2025年3月至8月，王建国为刘某承包的工地做工，工资18000元未付。",
        disputed_matters="工资数额与支付期限。", party_kind=["person", "person"],
        party_rep=["", ""], responsibility=["无", "未按时支付工资。"],
        ob_obligor=["刘某", "刘某"], ob_obligee=["王建国", "王建国"],
        ob_kind=["payment", "payment"], ob_description=["拖欠工资", ""],
        ob_amount=["18,000元", ""], ob_method=["alipay", ""],
        ob_holder=["王建国", ""], ob_bank=["支付宝", ""], ob_number=["13800000001", ""],
        ob_schedule=["instalments", "once"], ob_deadline=["2099-12-31", ""],
        ob_instalments=["2099-06-30 8000\n2099-12-31 9000", ""],
        ob_default=["逾期未付的，王建国可申请强制执行。", ""],
        other_terms="双方再无其他争议。\n\n", place="县调解中心", signed_on="2099-01-01")
    assert resp.status == 303 and resp.headers["Location"].endswith("#editor")
    async with app[keys.DB].read() as session:
        data = (await session.scalar(select(Document).where(Document.code == doc))).data
        edits = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "agreement.edited"))).all()
    assert len(edits) == 1 and edits[0].actor == "staff:m1"
    [ob] = data["obligations"]  # the empty row left for adding one is not an obligation
    assert ob["amount"] == "18000" and ob["method"] == "alipay"
    assert ob["instalments"] == [{"due": "2099-06-30", "amount": "8000"},
                                 {"due": "2099-12-31", "amount": "9000"}]
    assert data["other_terms"] == ["双方再无其他争议。"]
    assert [p["name"] for p in data["parties"]] == ["王建国", "刘某"]
    assert data["responsibilities"] == {"王建国": "无", "刘某": "未按时支付工资。"}

    html = await page(client, f"/console/agreements/{doc}", mediator)
    assert "还有" in html  # the flash
    obligation = html.split('id="obligation-0"', 1)[1].split('id="obligation-1"', 1)[0]
    assert "17000.00" in obligation and "18000.00" in obligation  # instalments != amount
    parties = html.split('id="f-parties"', 1)[1].split("</fieldset>", 1)[0]
    assert "缺少身份证件号码" in parties
    assert 'id="form-issue"' not in html  # not complete: nothing to issue
    # Issuing anyway is refused with the problems, in Chinese.
    resp = await post(client, f"/console/agreements/{doc}/issue", mediator)
    html = await page(client, f"/console/agreements/{doc}", mediator)
    assert "缺少身份证件号码" in html.split('class="flash flash-error"', 1)[1].split("</p>", 1)[0]


async def test_who_may_do_what_on_the_agreement_page(client):
    app = client.app
    case, doc, mediator = await drafted(client)
    sealer = await sealer_headers(app)
    html = await page(client, f"/console/agreements/{doc}", sealer)
    assert 'id="editor"' not in html and 'id="form-issue"' not in html
    resp = await post(client, f"/console/agreements/{doc}/draft", sealer, facts="改")
    assert resp.status == 403
    # A mediator of another committee does not see this case's agreement at all.
    other = await staff_headers(app, "m9", "外单位调解员", organisation="某镇人民调解委员会")
    resp = await client.get(f"/console/agreements/{doc}", headers={"Cookie": other["Cookie"]})
    assert resp.status == 403 and "没有权限" in visible(await resp.text())
    # A form without the session's token is refused.
    resp = await client.post(f"/console/agreements/{doc}/issue", allow_redirects=False,
                             headers={"Cookie": mediator["Cookie"]}, data={"csrf": "x"})
    assert resp.status in (401, 403)
    # Signing or sealing a draft: a Chinese message on the page, nothing signed.
    resp = await post(client, f"/console/agreements/{doc}/code", mediator)
    assert resp.status == 303
    html = await page(client, f"/console/agreements/{doc}", mediator)
    flash = html.split('class="flash flash-error"', 1)[1].split("</p>", 1)[0]
    assert re.search(r"[\u4e00-\u9fff]", flash) and "not_signing" not in flash


async def test_the_signing_page_sends_staff_to_the_console(client):
    case, doc, mediator = await drafted(client)
    resp = await client.get(f"/h5/sign/{doc}", headers={"Cookie": mediator["Cookie"]},
                            allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == f"/console/agreements/{doc}#signing"
