"""Probe 2 #2: consent to electronic service names the channel the party actually used.
A link opened outside WeChat (an SMS'd case link in a browser) cannot consent to WeChat
service: it consents to the phone the party proved by signing, or is refused."""

from __future__ import annotations

import hashlib

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.texts import DOCS
from tests.web.docs_helpers import APPLICANT_PHONE, make_case, party_token

from .flow import sealed_document

BROWSER = {"User-Agent": "curl/8.5.0"}
IN_WECHAT = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47(0x18002f2f)"}


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_a_case_link_outside_wechat_cannot_consent_to_wechat(client):
    app = client.app
    case = await make_case(app)  # the respondent follows the official account, no signing
    link = party_token(app, case, case.respondent, "case")
    url = f"/api/v1/cases/{case.code}/service-consent?t={link}"
    resp = await client.post(url, json={}, headers=BROWSER)
    assert resp.status == 409
    error = (await resp.json())["error"]
    assert error["code"] == "not_in_wechat" and "微信以外" in error["message"]
    assert await app[keys.DOCUMENTS].delivery.consents(case.case_id) == []
    # The same link opened in WeChat's browser: WeChat, with the WeChat wording.
    resp = await client.post(url, json={}, headers=IN_WECHAT)
    assert resp.status == 200, await resp.text()
    [row] = await app[keys.DOCUMENTS].delivery.consents(case.case_id)
    assert row.channel == "wechat" and row.wording == DOCS["consent_text"]


async def test_a_signer_outside_wechat_consents_to_the_proved_phone(client):
    app = client.app
    case, doc, _, _ = await sealed_document(client)  # both parties signed with SMS codes
    link = party_token(app, case, case.applicant, "sign")
    summary = await (await client.get(f"/api/v1/documents/{doc}?t={link}",
                                      headers=BROWSER)).json()
    assert "短信" in summary["consent_text"] and "微信" not in summary["consent_text"]
    resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={link}",
                             json={"wording": summary["consent_text"]}, headers=BROWSER)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["wording_sha256"] == hashlib.sha256(summary["consent_text"].encode()).hexdigest()
    [row] = await app[keys.DOCUMENTS].delivery.consents(case.case_id)
    assert (row.channel, row.address) == ("sms", APPLICANT_PHONE)
    assert "微信" not in row.wording and row.user_agent == "curl/8.5.0"
