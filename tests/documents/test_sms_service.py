"""A party the platform knows by no WeChat (a respondent entered by staff) is served by SMS
at the phone they proved by signing with a code sent to it; before that, nowhere."""

from __future__ import annotations

import hashlib

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents import service_address
from fengqiao.documents.texts import DOCS
from fengqiao.storage.models import CaseParty, DocumentEvent
from tests.web.docs_helpers import RESPONDENT_PHONE, party_token
from tests.web.test_documents_flow import issued

from .flow import sealed_document


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def forget_wechat(app, party_id: int) -> None:
    async with app[keys.DB].transaction() as session:
        party = await session.get(CaseParty, party_id)
        party.person_id = None


async def test_no_wechat_and_no_signature_means_no_address(client) -> None:
    app = client.app
    case, _, _ = await issued(client)
    await forget_wechat(app, case.respondent)
    token = party_token(app, case, case.respondent)
    resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={token}")
    body = await resp.json()
    assert resp.status == 409 and "完成签名" in body["error"]["message"]
    assert await app[keys.DOCUMENTS].delivery.consents(case.case_id) == []


async def test_a_signed_party_without_wechat_is_served_by_sms(client) -> None:
    app = client.app
    case, doc, staff, _ = await sealed_document(client)
    await forget_wechat(app, case.respondent)
    token = party_token(app, case, case.respondent)

    page = await (await client.get(f"/api/v1/documents/{doc}?t={token}")).json()
    assert "短信" in page["consent_text"] and "139****0002" in page["consent_text"]
    # A page drawn before the address changed shows other words: they are not agreed to.
    resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={token}",
                             json={"wording": DOCS["consent_text"]})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "consent_changed"
    resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={token}",
                             json={"wording": page["consent_text"]})
    body = await resp.json()
    assert resp.status == 200, body
    assert body["address"] == "短信（139****0002）"
    assert body["wording_sha256"] == hashlib.sha256(page["consent_text"].encode()).hexdigest()
    consent = (await app[keys.DOCUMENTS].delivery.consents(case.case_id))[-1]
    assert (consent.channel, consent.address) == ("sms", RESPONDENT_PHONE)

    await client.post(f"/api/v1/documents/{doc}/deliver", headers=staff)
    sent = app[keys.DOCUMENTS].notifier.sent[-1]
    assert (sent["channel"], sent["openid"]) == ("phone", RESPONDENT_PHONE)
    assert "/h5/delivery/" in sent["url"]
    # Without WeChat or SMS configured, the developer finds the message the party would get.
    inbox = (app[keys.SETTINGS].data_dir / "dev-messages.txt").read_text(encoding="utf-8")
    assert sent["url"] in inbox and "?t=" in sent["url"]
    cert = await client.get(f"/api/v1/documents/{doc}/service-certificate", headers=staff)
    assert cert.status == 200

    async with app[keys.DB].read() as session:
        details = (await session.scalars(select(DocumentEvent.detail).where(
            DocumentEvent.event == "signed", DocumentEvent.party_id == case.respondent))).all()
    assert details and RESPONDENT_PHONE not in str(details)  # a keyed proof, not the number
    assert details[0]["phone_proof"] == service_address.phone_proof(
        app[keys.SETTINGS].secret, RESPONDENT_PHONE)


async def test_a_changed_phone_is_not_proved(client) -> None:
    """Staff correcting the number after signing does not make the new number an address."""
    app = client.app
    case, _, _, _ = await sealed_document(client)
    await forget_wechat(app, case.respondent)
    async with app[keys.DB].transaction() as session:
        party = await session.get(CaseParty, case.respondent)
        party.phone = "13911112222"
    token = party_token(app, case, case.respondent)
    resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={token}")
    assert resp.status == 409
