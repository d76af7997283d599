"""Status notices carry each party's own case link (cases/case_link.py), minted when the
notice is sent; without WeChat they are written to dev-messages.txt."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from fengqiao.cases.case_link import CaseLinks
from fengqiao.cases.outbox import OutboxDispatcher
from fengqiao.cases.service import CaseService
from fengqiao.storage.models import CaseParty, OutboxMessage
from fengqiao.tokens import verify_token
from tests.cases.helpers import config_with_templates, resident_case
from tests.cases.test_outbox import FakeNotifier

SECRET = b"secret-links"


@pytest.fixture
def cases(services, tmp_path):
    return CaseService(
        services.db, config_with_templates(tmp_path), public_url="https://fq.example"
    )


async def applicant_party(cases, case_id):
    async with cases.db.read() as session:
        return await session.scalar(
            select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.role == "applicant")
        )


async def test_the_routing_notice_carries_the_partys_case_link(cases):
    filed = await cases.file_case(resident_case())
    assert filed.applicant_party_id == await applicant_party(cases, filed.id)
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    links = CaseLinks(SECRET, "https://fq.example")
    assert await OutboxDispatcher(cases.db, notifier, cases.config, links=links).run_once() == 1
    [(kind, openid, _, _, url)] = notifier.sent
    parts = urlsplit(url)
    assert (kind, openid) == ("template", "openid-1")
    assert parts.netloc == "fq.example" and parts.path == f"/h5/case/{filed.code}"
    claims = verify_token(SECRET, parse_qs(parts.query)["t"][0], "case")
    assert (claims.case_id, claims.party_id) == (filed.id, filed.applicant_party_id)
    # No token is kept at rest: the outbox holds the party, not the link.
    async with cases.db.read() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert row.payload["party_id"] == filed.applicant_party_id
    assert "t=" not in row.payload["url"] and row.status == "sent"


async def test_without_wechat_notices_go_to_the_dev_inbox(cases, tmp_path):
    from fengqiao.documents.notify import DEV_INBOX, LogNotifier

    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    inbox = tmp_path / DEV_INBOX
    links = CaseLinks(SECRET, "https://fq.example")
    dispatcher = OutboxDispatcher(cases.db, None, cases.config, links=links,
                                  inbox=LogNotifier(inbox=inbox))
    assert await dispatcher.run_once() == 1
    text = inbox.read_text("utf-8")
    assert filed.code in text and "分流" in text
    assert re.search(rf"https://fq\.example/h5/case/{filed.code}\?t=fq1\.\S+", text)
    async with cases.db.read() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert row.status == "dev_inbox" and "t=" not in row.payload["url"]
    assert await dispatcher.run_once() == 0  # written once


async def test_without_links_the_notice_points_to_public_progress(cases):
    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    assert await OutboxDispatcher(cases.db, notifier, cases.config).run_once() == 1
    assert notifier.sent[0][4] == f"https://fq.example/h5/progress?code={filed.code}"


async def test_a_notice_after_revocation_carries_a_link_of_the_new_generation(cases):
    from fengqiao.cases.case_link import generation_of

    filed = await cases.file_case(resident_case())
    await cases.revoke_links(filed.code, filed.applicant_party_id, "staff:li")
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    links = CaseLinks(SECRET, "https://fq.example")
    assert await OutboxDispatcher(cases.db, notifier, cases.config, links=links).run_once() == 1
    [(_, _, _, _, url)] = notifier.sent
    claims = verify_token(SECRET, parse_qs(urlsplit(url).query)["t"][0], "case")
    assert generation_of(claims) == 1 == await cases.link_generation(filed.applicant_party_id)
