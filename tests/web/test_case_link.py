"""A party's case link (cases/case_link.py): minted per party and case for the purpose
``case``, it opens that party's case space — /h5/case/{code}, their thread with the mediator,
the case's evidence — and nothing else: another case, another purpose, an expired or forged
link are refused, and another party's link shows that party's own thread only."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.case_link import CaseLinks
from fengqiao.tokens import DAY, issue_token, verify_token

from .docs_helpers import jpeg_bytes, make_case, party_token, staff_headers

CASE_PAGE = re.compile(r"/h5/case/([A-Z0-9-]+)\?t=(fq1\.[\w.-]+)")


def test_a_case_link_is_bound_to_its_case_party_and_purpose_and_expires():
    links = CaseLinks(b"secret-1", "https://fq.example/")
    url = links.for_party(case_id=3, case_code="FQ2612-ABCDEF-1", party_id=7, now=1000)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "fq.example",
                                                        "/h5/case/FQ2612-ABCDEF-1")
    token = parse_qs(parts.query)["t"][0]
    claims = verify_token(b"secret-1", token, "case", now=1001)
    assert (claims.case_id, claims.party_id, claims.purpose) == (3, 7, "case")
    assert claims.expires_at == 1000 + 30 * DAY


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_the_link_opens_the_partys_own_case_space(client):
    app = client.app
    case = await make_case(app)
    link = party_token(app, case, case.applicant, "case")
    other = party_token(app, case, case.respondent, "case")

    page = await client.get(f"/h5/case/{case.code}?t={link}")
    assert page.status == 200 and "我的案件" in await page.text()
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert (await client.get(f"/h5/evidence/{case.code}?t={link}")).status == 200

    messages = f"/api/v1/cases/{case.code}/messages"
    resp = await client.post(f"{messages}?t={link}", json={"text": "工资条我已经拍照了"})
    assert resp.status == 200, await resp.text()
    form = FormData()
    form.add_field("file", jpeg_bytes(), filename="工资条.jpg", content_type="image/jpeg")
    resp = await client.post(f"/api/v1/cases/{case.code}/evidence?t={link}", data=form)
    assert resp.status == 200, await resp.text()
    mine = await (await client.get(f"{messages}?t={link}")).json()
    assert [m["text"] for m in mine["messages"]] == ["工资条我已经拍照了"]
    evidence = await (await client.get(f"/api/v1/cases/{case.code}/evidence?t={link}")).json()
    assert [e["name"] for e in evidence["evidence"]] == ["工资条.jpg"]
    assert evidence["party_id"] == case.applicant  # the page offers 质证 on others' only

    # The other party's link is theirs: their own (empty) thread, never the applicant's.
    theirs = await (await client.get(f"{messages}?t={other}")).json()
    assert theirs["messages"] == []


async def test_the_link_is_refused_elsewhere(client):
    app = client.app
    case = await make_case(app)
    elsewhere = await make_case(app, suffix="b")
    secret = app[keys.SETTINGS].secret
    link = party_token(app, case, case.applicant, "case")
    paths = ("/h5/case/{code}", "/api/v1/cases/{code}/messages",
             "/api/v1/cases/{code}/evidence", "/h5/evidence/{code}")

    for path in paths:
        # This case's link on another case's code, and another case's link on this one.
        resp = await client.get(path.format(code=elsewhere.code) + f"?t={link}")
        assert resp.status == 403, path
        stranger = party_token(app, elsewhere, elsewhere.applicant, "case")
        resp = await client.get(path.format(code=case.code) + f"?t={stranger}")
        assert resp.status == 403, path
        # Every link a party already holds is for something else.
        for purpose in ("sign", "delivery", "booking"):
            token = party_token(app, case, case.applicant, purpose)
            resp = await client.get(path.format(code=case.code) + f"?t={token}")
            assert resp.status == 403, (path, purpose)
            if path.startswith("/api/"):
                assert (await resp.json())["error"]["code"] == "wrong_purpose"
        # Expired, and forged.
        old = issue_token(secret, purpose="case", case_id=case.case_id,
                          party_id=case.applicant, now=time.time() - 31 * DAY)
        resp = await client.get(path.format(code=case.code) + f"?t={old}")
        assert resp.status == 401, path
        if path.startswith("/api/"):
            assert (await resp.json())["error"]["code"] == "expired"
        resp = await client.get(path.format(code=case.code) + f"?t={link[:-3]}AAA")
        assert resp.status == 401, path

    # Writes are refused the same way, and the case link does not sign or book.
    resp = await client.post(f"/api/v1/cases/{elsewhere.code}/messages?t={link}",
                             json={"text": "x"})
    assert resp.status == 403
    resp = await client.post(f"/api/v1/booking/party/{link}/confirm", json={"slot_id": 1})
    assert resp.status in (401, 403)


async def test_staff_holding_a_party_link_see_the_partys_page_but_write_nothing_as_them(client):
    """Probe2 #9: a staff member signed in to the console who opens a party's case link sees
    what the party sees (the link wins over the cookie), but their writes through it are
    refused, never stored as the party's."""
    app = client.app
    case = await make_case(app)
    link = party_token(app, case, case.applicant, "case")
    staff = await staff_headers(app)
    page = await client.get(f"/h5/case/{case.code}?t={link}", allow_redirects=False,
                            headers={"Cookie": staff["Cookie"]})
    assert page.status == 200 and "我的案件" in await page.text()
    # Without the link, staff go to the console's case page.
    resp = await client.get(f"/h5/case/{case.code}", allow_redirects=False,
                            headers={"Cookie": staff["Cookie"]})
    assert resp.status == 303 and resp.headers["Location"] == f"/console/cases/{case.code}"

    messages = f"/api/v1/cases/{case.code}/messages?t={link}"
    for headers in ({"Cookie": staff["Cookie"]}, staff):
        resp = await client.post(messages, json={"text": "我是调解员"}, headers=headers)
        assert resp.status == 403, await resp.text()
        assert (await resp.json())["error"]["code"] == "staff_with_party_link"
    resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={link}", json={},
                             headers={"Cookie": staff["Cookie"]})
    assert resp.status == 403
    # Reading is still the party's view; the party's own browser writes as before.
    mine = await client.get(messages, headers={"Cookie": staff["Cookie"]})
    assert mine.status == 200 and (await mine.json())["messages"] == []
    resp = await client.post(messages, json={"text": "工资条我已经拍照了"})
    assert resp.status == 200, await resp.text()


async def test_every_answer_to_a_url_with_a_token_sends_no_referrer(client):
    """Probe2 #9: /h5/evidence's refusal page (and any answer to a URL carrying ?t=) sent
    Referrer-Policy: same-origin; the token in its URL must not travel as a referrer."""
    app = client.app
    case = await make_case(app)
    link = party_token(app, case, case.applicant, "case")
    for path in (f"/h5/evidence/{case.code}?t={link}", f"/h5/evidence/{case.code}?t={link}AA",
                 f"/h5/evidence/{case.code}", f"/h5/case/{case.code}?t=nonsense",
                 f"/api/v1/cases/{case.code}/messages?t={link}AA", "/console/login?t=x"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.headers["Referrer-Policy"] == "no-referrer", (path, resp.status)
    console = await client.get("/console/login", allow_redirects=False)
    assert console.headers["Referrer-Policy"] == "same-origin"
