"""Delivery records that cannot be rewritten: each consent and each attempt its own row,
every step's time set once, reminders and paper service for unopened deliveries, and a
service certificate that is itself a signed PDF listing all of it."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.texts import DOCS
from fengqiao.documents.verify import verify_pdf
from fengqiao.storage.models import CaseTask, Delivery, utcnow
from tests.web.docs_helpers import party_token

from .flow import sealed_document

IN_WECHAT = {"User-Agent": "Mozilla/5.0 (Linux; Android 13) MicroMessenger/8.0.47.2560"}


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def pdftotext(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


async def attempts(app, doc: str) -> list[Delivery]:
    return (await app[keys.DOCUMENTS].delivery.deliveries(doc))[1]


async def test_attempts_are_kept_and_the_certificate_is_signed(client) -> None:
    app = client.app
    case, doc, staff, _ = await sealed_document(client)
    t_app = party_token(app, case, case.applicant)
    t_resp = party_token(app, case, case.respondent)
    for token in (t_app, t_app, t_resp):  # the applicant confirms twice: two records
        # Links opened in WeChat's browser: consent to WeChat service (service_address.py).
        resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={token}",
                                 headers=IN_WECHAT)
        body = await resp.json()
        assert body["wording_sha256"] == hashlib.sha256(
            DOCS["consent_text"].encode()).hexdigest()
    consents = await app[keys.DOCUMENTS].delivery.consents(case.case_id)
    assert len(consents) == 3 and all(c.wording == DOCS["consent_text"] for c in consents)

    await client.post(f"/api/v1/documents/{doc}/deliver", headers=staff)
    sent = app[keys.DOCUMENTS].notifier.sent
    first_msg = sent[-2]
    d_token = first_msg["url"].split("?t=", 1)[1]
    assert await app[keys.DOCUMENTS].delivery.on_wechat_status(first_msg["msg_id"], "success")
    await client.get(f"/api/v1/documents/{doc}/delivery?t={d_token}")
    first = [a for a in await attempts(app, doc) if a.party_id == case.applicant][0]
    assert first.sent_at <= first.delivered_at <= first.read_at
    # Delivering again adds attempts; the first keeps its own times.
    await client.post(f"/api/v1/documents/{doc}/deliver", headers=staff)
    rows = await attempts(app, doc)
    assert len(rows) == 4 and sorted(r.attempt for r in rows) == [1, 1, 2, 2]
    again = next(r for r in rows if r.id == first.id)
    assert (again.sent_at, again.read_at, again.status) == (first.sent_at, first.read_at,
                                                             "read")
    resp = await client.post(f"/api/v1/documents/{doc}/delivery/acknowledge?t={d_token}")
    ack = (await resp.json())["delivery"]
    assert ack["acknowledged_at"] and ack["attempt"] == 2

    resp = await client.get(f"/api/v1/documents/{doc}/service-certificate", headers=staff)
    cert = await resp.read()
    ca = app[keys.DOCUMENTS].ca
    checked = await verify_pdf(cert, [ca.trust_root], intermediates=ca.intermediates)
    assert checked.ok, checked.message
    assert checked.long_term and checked.archive_timestamp is not None
    text = pdftotext(cert)
    for words in ("送达地址确认", "确认书内容摘要", consents[0].wording_sha256[:20],
                  "第 1 次送达", "第 2 次送达", "到达时间", "打开时间", "签收时间", "已签收"):
        assert words in text, words


async def test_unopened_delivery_is_reminded_then_handed_to_staff(client) -> None:
    app = client.app
    case, doc, staff, _ = await sealed_document(client)
    for party in (case.applicant, case.respondent):
        await client.post(
            f"/api/v1/cases/{case.code}/service-consent?t={party_token(app, case, party)}",
            headers=IN_WECHAT)
    await client.post(f"/api/v1/documents/{doc}/deliver", headers=staff)
    sent = app[keys.DOCUMENTS].notifier.sent
    opened_token = sent[-2]["url"].split("?t=", 1)[1]  # the applicant opens it at once
    await client.get(f"/api/v1/documents/{doc}/delivery?t={opened_token}")
    follow = app[keys.DOCUMENTS].delivery.follow_up
    assert await follow() == {"reminded": 0, "paper_tasks": 0}
    before = len(sent)
    assert await follow(utcnow() + timedelta(days=3, hours=1)) == {"reminded": 1,
                                                                    "paper_tasks": 0}
    assert len(sent) == before + 1 and "尚未查收" in sent[-1]["title"]
    assert await follow(utcnow() + timedelta(days=3, hours=2)) == {"reminded": 0,
                                                                    "paper_tasks": 0}
    assert await follow(utcnow() + timedelta(days=7, hours=1)) == {"reminded": 0,
                                                                    "paper_tasks": 1}
    async with app[keys.DB].read() as session:
        task = await session.scalar(select(CaseTask).where(CaseTask.case_id == case.case_id))
    assert task is not None and task.department == "纸质送达" and "刘某" in task.instruction
    resp = await client.get(f"/api/v1/documents/{doc}/service-certificate", headers=staff)
    text = pdftotext(await resp.read())
    assert "已于" in text and "提醒查收" in text and "转为纸质送达" in text


async def test_two_presses_at_once_make_one_delivery(client) -> None:
    """Double submit of 送达: the second, while the first is still sending, is refused with
    409 and makes no attempt; pressing again afterwards is a new attempt as before."""
    app = client.app
    case, doc, staff, _ = await sealed_document(client)
    for party in (case.applicant, case.respondent):
        await client.post(
            f"/api/v1/cases/{case.code}/service-consent?t={party_token(app, case, party)}",
            headers=IN_WECHAT)
    sent = app[keys.DOCUMENTS].notifier.sent
    before = len(sent)
    answers = await asyncio.gather(*(client.post(f"/api/v1/documents/{doc}/deliver",
                                                 headers=staff) for _ in range(2)))
    assert sorted(r.status for r in answers) == [200, 409]
    refused = next(r for r in answers if r.status == 409)
    assert (await refused.json())["error"] == {"code": "delivering",
                                               "message": DOCS["delivering"]}
    rows = await attempts(app, doc)
    assert sorted((r.party_id, r.attempt) for r in rows) == sorted(
        [(case.applicant, 1), (case.respondent, 1)])
    assert len(sent) == before + 2
    resp = await client.post(f"/api/v1/documents/{doc}/deliver", headers=staff)
    assert resp.status == 200
    assert sorted(r.attempt for r in await attempts(app, doc)) == [1, 1, 2, 2]
