"""After a mediation: the agreement is drafted, signed by both parties and the mediator from
their links, sealed, verified, delivered with a service certificate; a tampered copy fails."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.verify import verify_pdf

from .docs_helpers import (
    APPLICANT_PHONE,
    RESPONDENT_PHONE,
    SEALER_PHONE,
    complete,
    make_case,
    party_token,
    png_data_url,
    sealer_headers,
    staff_headers,
)


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def sender(client):
    return client.app[keys.DOCUMENTS].otp.sender


async def give_phone(app, staff_id: str, phone: str) -> None:
    """The mediator's phone, where their second factor goes (signing and sealing)."""
    from fengqiao.storage.models import Mediator

    async with app[keys.DB].transaction() as session:
        session.add(Mediator(code=f"M-{staff_id}", name=staff_id, username=staff_id,
                             phone=phone, ics_token=f"ics-{staff_id}"))


async def staff_code(client, doc: str, headers: dict, phone: str) -> str:
    resp = await client.post(f"/api/v1/documents/{doc}/otp", headers=headers)
    assert resp.status == 200, await resp.text()
    return sender(client).last_code(phone)


async def sign_as(client, doc: str, token: str, phone: str) -> dict:
    await client.get(f"/api/v1/documents/{doc}?t={token}")  # the text is shown first
    resp = await client.post(f"/api/v1/documents/{doc}/otp?t={token}")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["phone"] == phone[:3] + "****" + phone[-4:]
    code = sender(client).last_code(phone)
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={token}",
                             json={"code": code, "signature": png_data_url()})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def issued(client) -> tuple:
    case = await make_case(client.app)
    staff = await staff_headers(client.app)
    resp = await client.post(f"/api/v1/cases/{case.code}/agreement", headers=staff)
    assert resp.status == 200
    draft = await resp.json()
    doc = draft["code"]
    resp = await client.put(f"/api/v1/documents/{doc}/draft", headers=staff,
                            json=complete(draft["data"]))
    assert resp.status == 200 and (await resp.json())["problems"] == []
    resp = await client.post(f"/api/v1/documents/{doc}/issue", headers=staff)
    assert resp.status == 200, await resp.text()
    return case, doc, staff


async def test_agreement_signed_sealed_verified_delivered(client):
    app = client.app
    case = await make_case(app)
    staff = await staff_headers(app)

    resp = await client.post(f"/api/v1/cases/{case.code}/agreement", headers=staff)
    assert resp.status == 200
    draft = await resp.json()
    doc = draft["code"]
    assert draft["status"] == "draft" and draft["data"]["parties"][0]["name"] == "王建国"
    assert draft["data"]["mediator"] == "王调解"

    # Incomplete: 422 with the problems a mediator must fix.
    resp = await client.post(f"/api/v1/documents/{doc}/issue", headers=staff)
    assert resp.status == 422
    err = (await resp.json())["error"]
    assert err["code"] == "agreement_incomplete"
    wheres = {p["where"] for p in err["problems"]}
    assert "obligations" in wheres and "parties[0].id_number" in wheres

    resp = await client.put(f"/api/v1/documents/{doc}/draft", headers=staff,
                            json=complete(draft["data"]))
    body = await resp.json()
    assert body["problems"] == [] and "刘某向王建国支付拖欠工资人民币18,000.00元" in body["text"]

    resp = await client.post(f"/api/v1/documents/{doc}/issue", headers=staff)
    assert resp.status == 200
    links = (await resp.json())["links"]
    assert set(links) == {str(case.applicant), str(case.respondent)}
    sent = app[keys.DOCUMENTS].notifier.sent
    assert {m["openid"] for m in sent} == {"o-app-a", "o-resp-a"}
    assert all("/h5/sign/" + doc + "?t=fq1." in m["url"] for m in sent)

    t_app = party_token(app, case, case.applicant)
    t_resp = party_token(app, case, case.respondent)
    # The respondent cannot go first; the applicant cannot sign the respondent's field.
    resp = await client.post(f"/api/v1/documents/{doc}/otp?t={t_resp}")
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "not_your_turn"
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={t_app}",
                             json={"code": "000000", "signature": png_data_url(),
                                   "field": "sig-party-2"})
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "wrong_signer"

    opened = await (await client.get(f"/api/v1/documents/{doc}?t={t_app}")).json()
    assert opened["my_turn"] and opened["mine"] == "sig-party-1" and "data" not in opened
    summary = await sign_as(client, doc, t_app, APPLICANT_PHONE)
    assert summary["slots"][0]["signed"] and summary["next"] == "sig-party-2"
    # Nobody signs twice.
    resp = await client.post(f"/api/v1/documents/{doc}/otp?t={t_app}")
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "already_signed"

    # Signing without having opened the text is refused.
    await client.post(f"/api/v1/documents/{doc}/otp?t={t_resp}")
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={t_resp}",
                             json={"code": sender(client).last_code(RESPONDENT_PHONE),
                                   "signature": png_data_url()})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "not_opened"
    await client.get(f"/api/v1/documents/{doc}?t={t_resp}")
    # A wrong code is refused.
    right = sender(client).last_code(RESPONDENT_PHONE)
    wrong = "000000" if right != "000000" else "111111"
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={t_resp}",
                             json={"code": wrong, "signature": png_data_url()})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "wrong"
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={t_resp}",
                             json={"code": right, "signature": png_data_url()})
    assert resp.status == 200

    # Seal before the mediator: refused. Only the seal keeper seals; someone else's staff
    # session cannot sign for the mediator.
    sealer = await sealer_headers(app)
    resp = await client.post(f"/api/v1/documents/{doc}/seal", headers=sealer, json={})
    assert resp.status == 409
    resp = await client.post(f"/api/v1/documents/{doc}/seal", headers=staff, json={})
    assert resp.status == 403
    other = await staff_headers(app, "m2", "李调解")
    resp = await client.post(f"/api/v1/documents/{doc}/sign", headers=other,
                             json={"code": "", "signature": png_data_url()})
    assert resp.status == 403
    # The mediator needs a second factor too: no phone on record, no signature.
    await client.get(f"/api/v1/documents/{doc}", headers=staff)
    resp = await client.post(f"/api/v1/documents/{doc}/otp", headers=staff)
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "no_phone_staff"
    await give_phone(app, "m1", "13700000003")
    resp = await client.post(f"/api/v1/documents/{doc}/sign", headers=staff,
                             json={"code": "", "signature": png_data_url()})
    assert resp.status == 400
    code = await staff_code(client, doc, staff, "13700000003")
    resp = await client.post(f"/api/v1/documents/{doc}/sign", headers=staff,
                             json={"code": code, "signature": png_data_url()})
    assert resp.status == 200, await resp.text()
    # The seal: the seal keeper's own code (to the phone of their account), and the
    # certificate names the person who applied it.
    # Probe report #21: the seal keeper reads the agreement masked, as on the case pages (the
    # mediator, whose role sees personal data, in full); the PDF is the same document.
    resp = await client.get(f"/api/v1/documents/{doc}", headers=sealer)
    as_sealer = await resp.text()
    full = await (await client.get(f"/api/v1/documents/{doc}", headers=staff)).text()
    for secret in ("110101199001011234", "330681198505052345", "6228480000000000001"):
        assert secret in full and secret not in as_sealer, secret
    summary = json.loads(as_sealer)
    assert "公民身份号码：110*************34" in summary["text"]
    assert summary["data"]["parties"][0]["id_number"] == "110*************34"
    assert summary["next"] and summary["slots"] == json.loads(full)["slots"]
    pdfs = [await (await client.get(f"/api/v1/documents/{doc}/pdf", headers=h)).read()
            for h in (sealer, staff)]
    assert pdfs[0] == pdfs[1] and pdfs[0].startswith(b"%PDF")
    resp = await client.post(f"/api/v1/documents/{doc}/seal", headers=sealer,
                             json={"code": "000000"})
    assert resp.status == 400
    client.app[keys.DOCUMENTS].otp.resend_after = 0
    code = await staff_code(client, doc, sealer, SEALER_PHONE)
    resp = await client.post(f"/api/v1/documents/{doc}/seal", headers=sealer,
                             json={"code": code})
    assert resp.status == 200, await resp.text()
    sealed = await resp.json()
    assert sealed["status"] == "sealed"
    assert "110101199001011234" not in json.dumps(sealed, ensure_ascii=False)
    # The window ends at 24:00 local time of the 30th day after the seal.
    local = ZoneInfo("Asia/Shanghai")
    deadline = datetime.fromisoformat(sealed["judicial_deadline_at"]).astimezone(local)
    sealed_day = datetime.fromisoformat(sealed["sealed_at"]).astimezone(local).date()
    assert (deadline.hour, deadline.minute) == (0, 0)
    assert deadline.date() == sealed_day + timedelta(days=31)
    assert sealed["judicial_deadline_text"] == (
        (sealed_day + timedelta(days=30)).isoformat() + " 24:00")

    # Validated by pyHanko against the platform's root ...
    resp = await client.get(f"/api/v1/documents/{doc}/pdf?t={t_app}")
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/pdf"
    pdf = await resp.read()
    ca = app[keys.DOCUMENTS].ca
    result = await verify_pdf(pdf, [ca.trust_root], intermediates=ca.intermediates)
    assert result.ok, result.message
    assert [s.signer_name for s in result.signatures] == [
        "王建国", "刘某", "王调解", app[keys.SETTINGS].centre_name]
    # ... and by the verify API, by code and by upload.
    resp = await client.get(f"/api/v1/verify/{doc}")
    by_code = await resp.json()
    assert by_code["ok"] and by_code["signatures"][0]["signer"] == "王**"
    assert result.signatures[-1].operator == "印章管理员"  # the person who applied the seal
    resp = await client.post("/api/v1/verify", data=pdf,
                             headers={"Content-Type": "application/pdf"})
    uploaded = await resp.json()
    assert uploaded["ok"] and uploaded["final"] and uploaded["document"]["code"] == doc
    # One byte changed after signing is detected.
    tampered = bytearray(pdf)
    pos = pdf.index(b"stream\n", pdf.index(b"/Contents")) + 40
    tampered[pos] ^= 0x01
    form = FormData()
    form.add_field("file", bytes(tampered), filename="x.pdf", content_type="application/pdf")
    resp = await client.post("/api/v1/verify", data=form)
    bad = await resp.json()
    assert resp.status == 200 and not bad["ok"] and "篡改" in bad["message"]
    assert bad["document"] is None

    # Audit certificate of every event.
    resp = await client.get(f"/api/v1/documents/{doc}/audit-certificate", headers=staff)
    cert = await resp.read()
    text = pdftotext(cert)
    for word in ("发送文书", "打开文书", "身份核验通过", "签名", "加盖电子印章", "127.0.*.*",
                 "微信专属链接 + 短信验证码", "138****0001", "用印人：印章管理员",
                 "所阅读协议文本摘要"):
        assert word in text, word

    # E-delivery: consent, send, WeChat's event, open, download, paper copy, certificate.
    resp = await client.post(f"/api/v1/documents/{doc}/deliver", headers=staff)
    assert [d["status"] for d in (await resp.json())["deliveries"]] == ["no_consent"] * 2
    for t in (t_app, t_resp):
        resp = await client.post(f"/api/v1/cases/{case.code}/service-consent?t={t}",
                                 headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.47"})
        assert resp.status == 200
    resp = await client.post(f"/api/v1/documents/{doc}/deliver", headers=staff)
    assert [d["status"] for d in (await resp.json())["deliveries"]] == ["sent"] * 2
    message = sent[-2]
    assert "/h5/delivery/" in message["url"]
    assert await app[keys.DOCUMENTS].delivery.on_wechat_status(message["msg_id"], "success")
    d_token = message["url"].split("?t=", 1)[1]
    resp = await client.get(f"/api/v1/documents/{doc}/delivery?t={d_token}")
    opened = await resp.json()
    assert opened["delivery"]["status"] == "read" and opened["delivery"]["read_at"]
    resp = await client.get(f"/api/v1/documents/{doc}/pdf?t={d_token}")
    assert resp.status == 200
    resp = await client.post(f"/api/v1/documents/{doc}/paper-copy?t={d_token}",
                             json={"address": "县城关镇锦绣家园1号 王建国"})
    assert (await resp.json())["delivery"]["downloaded_at"]
    resp = await client.get(f"/api/v1/documents/{doc}/service-certificate", headers=staff)
    text = pdftotext(await resp.read())
    assert "电子送达证明" in text and "已阅读" in text and "已发送" in text

    # Judicial confirmation package.
    resp = await client.get(f"/api/v1/documents/{doc}/judicial-package", headers=staff)
    with zipfile.ZipFile(io.BytesIO(await resp.read())) as zf:
        names = set(zf.namelist())
        assert zf.read("agreement.pdf") == pdf
        assert "110101199001011234" in zf.read("parties.json").decode()
        assert "调解笔录" in pdftotext(zf.read("mediation_record.pdf"))
    assert {"audit_certificate.pdf", "service_certificate.pdf", "manifest.json",
            "manifest.pdf", "application.pdf", "root-ca.pem"} <= names

    chain = await app[keys.CASES].verify_audit()
    assert chain.ok and chain.entries > 10


async def test_expired_or_reused_code_is_refused(client):
    case, doc, _ = await issued(client)
    token = party_token(client.app, case, case.applicant)
    await client.get(f"/api/v1/documents/{doc}?t={token}")
    await client.post(f"/api/v1/documents/{doc}/otp?t={token}")
    code = sender(client).last_code(APPLICANT_PHONE)
    # The code is spent by an attempt whose signature image is unusable ...
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={token}",
                             json={"code": code, "signature": "PHN2Zy8+"})
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "bad_image"
    # ... so it cannot be used again.
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={token}",
                             json={"code": code, "signature": png_data_url()})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "expired"

    otp = client.app[keys.DOCUMENTS].otp
    otp.resend_after = 0
    await client.post(f"/api/v1/documents/{doc}/otp?t={token}")
    code = sender(client).last_code(APPLICANT_PHONE)
    real_clock = otp.clock
    otp.clock = lambda: real_clock() + 301  # five minutes and a second later
    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={token}",
                             json={"code": code, "signature": png_data_url()})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "expired"
    summary = await (await client.get(f"/api/v1/documents/{doc}?t={token}")).json()
    assert not summary["slots"][0]["signed"]


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
