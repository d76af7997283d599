"""The judicial-confirmation package: application form, evidence, consents, a readable
调解笔录, certificates, the root certificate and a manifest the platform signs; and the
30-day window that ends at 24:00 local time of the 30th day."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from datetime import UTC, datetime

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from cryptography import x509

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.judicial import deadline_text, judicial_deadline
from fengqiao.documents.verify import verify_pdf
from tests.web.docs_helpers import jpeg_bytes, party_token

from .flow import sealed_document


def pdftotext(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def test_window_ends_at_midnight_local_time_of_the_30th_day() -> None:
    # Sealed 07:04 Beijing time on 1 March: day 1 is 2 March, day 30 is 31 March.
    sealed = datetime(2027, 2, 28, 23, 4, tzinfo=UTC)
    deadline = judicial_deadline(sealed)
    assert deadline.astimezone(UTC) == datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
    assert deadline_text(deadline) == "2027-03-31 24:00"
    late = judicial_deadline(datetime(2027, 3, 1, 15, 59, tzinfo=UTC))  # 23:59 local
    assert deadline_text(late) == "2027-03-31 24:00"


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_package_holds_what_a_court_asks_for(client) -> None:
    app = client.app
    case, doc, staff, pdf = await sealed_document(client)
    form = FormData()
    form.add_field("file", jpeg_bytes(), filename="欠条.jpg", content_type="image/jpeg")
    token = party_token(app, case, case.applicant, "evidence")
    resp = await client.post(f"/api/v1/cases/{case.code}/evidence?t={token}", data=form)
    assert resp.status in (200, 201), await resp.text()
    await client.post(
        f"/api/v1/cases/{case.code}/service-consent?t={party_token(app, case, case.applicant)}")

    resp = await client.get(f"/api/v1/documents/{doc}/judicial-package", headers=staff)
    assert resp.status == 200
    with zipfile.ZipFile(io.BytesIO(await resp.read())) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    assert files["agreement.pdf"] == pdf
    application = pdftotext(files["application.pdf"])
    for words in ("司法确认申请书", "王建国", "刘某", "110101199001011234", "人民法院",
                  "申请人（签名）"):
        assert words in application, words
    assert any(n.startswith("evidence/") and n.endswith("欠条.jpg") for n in files)
    assert json.loads(files["consents.json"])[0]["wording_sha256"]
    record = pdftotext(files["mediation_record.pdf"])
    for words in ("调解笔录", "举证与质证", "欠条.jpg", "调解结果", "加盖调解组织印章"):
        assert words in record, words
    assert "agreement.sealed" not in record  # people's words, not event keys
    root = x509.load_pem_x509_certificate(files["root-ca.pem"])
    assert root == app[keys.DOCUMENTS].ca.root_cert
    listing = json.loads(files["manifest.json"])
    for name, item in listing["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == item["sha256"], name
    assert {"application.pdf", "service_certificate.pdf", "audit_certificate.pdf",
            "root-ca.pem", "mediation_record.pdf"} <= set(listing["files"])
    ca = app[keys.DOCUMENTS].ca
    signed = await verify_pdf(files["manifest.pdf"], [ca.trust_root],
                              intermediates=ca.intermediates)
    assert signed.ok, signed.message
    assert listing["files"]["agreement.pdf"]["sha256"] in pdftotext(files["manifest.pdf"])


async def test_parties_are_reminded_on_days_20_and_27(client) -> None:
    from datetime import timedelta

    app = client.app
    _, doc, _, _ = await sealed_document(client)
    docs = app[keys.DOCUMENTS]
    sent = docs.notifier.sent
    now = datetime.now(UTC)
    assert (await docs.follow_up(now + timedelta(days=5)))["judicial_reminders"] == 0
    before = len(sent)
    assert (await docs.follow_up(now + timedelta(days=20)))["judicial_reminders"] == 1
    reminders = sent[before:]
    assert {m["openid"] for m in reminders} == {"o-app-a", "o-resp-a"}
    assert all("24:00" in m["text"] and "司法确认" in m["title"] for m in reminders)
    assert (await docs.follow_up(now + timedelta(days=21)))["judicial_reminders"] == 0
    assert (await docs.follow_up(now + timedelta(days=27)))["judicial_reminders"] == 1
    assert (await docs.follow_up(now + timedelta(days=40)))["judicial_reminders"] == 0
    assert doc
