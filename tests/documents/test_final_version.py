"""A partial copy (cut before the seal, or before any later signature) is valid as far as its
own signatures go, but it is never shown as the final version."""

from __future__ import annotations

import io

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.signing import SigningRefused, has_handwriting
from fengqiao.documents.texts import DOCS
from tests.web.docs_helpers import APPLICANT_PHONE, party_token, png_data_url
from tests.web.test_documents_flow import issued

from .flow import sealed_document


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def _by_eof(pdf: bytes, keep_signatures: int) -> bytes:
    """The longest prefix ending at %%EOF that holds ``keep_signatures - 1`` signatures."""
    ends = [i + 5 for i in range(len(pdf)) if pdf.startswith(b"%%EOF", i)]
    best = b""
    for end in ends:
        head = pdf[:end] + b"\n"
        try:
            n = len(PdfFileReader(io.BytesIO(head), strict=False).embedded_regular_signatures)
        except Exception:  # noqa: BLE001 - not every prefix parses
            continue
        if n == keep_signatures - 1:
            best = head
    return best


async def test_a_copy_cut_before_the_seal_is_not_final(client) -> None:
    case, doc, staff, pdf = await sealed_document(client)

    partial = _by_eof(pdf, 4)  # everything up to the mediator: valid, but not sealed
    assert partial and pdf.startswith(partial[:-1])
    resp = await client.post("/api/v1/verify", data=partial,
                             headers={"Content-Type": "application/pdf"})
    body = await resp.json()
    assert body["signatures_valid"] is True, body["message"]  # each signature is fine ...
    assert body["final"] is False and body["ok"] is False  # ... but it is not the final
    assert "不是最终版本" in body["message"] and "4 个签名中只有 3 个" in body["message"]
    assert "尚未盖章" in body["message"] and body["document"]["code"] == doc
    assert all("sig-" not in p for s in body["signatures"] for p in s["problems"])
    assert [s["label"] for s in body["signatures"]][:2] == ["申请人（签名）", "被申请人（签名）"]

    resp = await client.post("/api/v1/verify", data=pdf,
                             headers={"Content-Type": "application/pdf"})
    final = await resp.json()
    assert final["final"] and final["ok"] and "最终版本" in final["message"]
    assert final["long_term"] and final["archive_timestamp"]

    alien = await client.post("/api/v1/verify", data=_by_eof(pdf, 2)[:-1] + b"% x\n",
                              headers={"Content-Type": "application/pdf"})
    assert (await alien.json())["final"] is False


def test_verify_messages_are_whole_sentences_not_joined_by_semicolons() -> None:
    from fengqiao.documents.final_version import FinalCheck
    from fengqiao.documents.proof_service import _with_final
    from fengqiao.documents.texts import VERIFY
    from fengqiao.documents.verify import VerificationResult, sentences

    broken = VERIFY["broken"].format(field="调解员签名")
    problems = [broken, VERIFY["modified_after"], broken, "没有句号"]
    assert sentences(problems) == broken + VERIFY["modified_after"] + "没有句号。"
    result = VerificationResult(False, [], True, sentences(problems[:2]), "0" * 64)
    check = FinalCheck(False, VERIFY["not_archived"], None)
    message = _with_final({}, result, check)["message"]
    assert "。；" not in message and "；" not in message
    assert message == broken + VERIFY["modified_after"] + VERIFY["not_archived"]


async def test_signing_page_data_carries_the_privacy_notice(client) -> None:
    case, doc, _ = await issued(client)
    token = party_token(client.app, case, case.applicant)
    body = await (await client.get(f"/api/v1/documents/{doc}?t={token}")).json()
    assert body["privacy_notice"] == DOCS["privacy_notice"] and "个人信息" in body["privacy_notice"]


def _png(draw) -> Image.Image:
    img = Image.new("RGB", (600, 200), "white")
    draw(ImageDraw.Draw(img))
    return img


def test_blank_or_near_blank_canvas_is_refused() -> None:
    assert not has_handwriting(_png(lambda d: None))
    assert not has_handwriting(_png(lambda d: d.ellipse((300, 100, 306, 106), fill="black")))
    assert not has_handwriting(_png(lambda d: d.line([(300, 100), (320, 104)], fill="black",
                                                     width=4)))
    assert has_handwriting(_png(lambda d: d.line(
        [(40, 150), (160, 40), (300, 140), (560, 60)], fill="black", width=6)))


async def test_blank_canvas_gets_a_chinese_refusal(client) -> None:
    case, doc, _ = await issued(client)
    token = party_token(client.app, case, case.applicant)
    await client.get(f"/api/v1/documents/{doc}?t={token}")
    await client.post(f"/api/v1/documents/{doc}/otp?t={token}")
    code = client.app[keys.DOCUMENTS].otp.sender.last_code(APPLICANT_PHONE)
    blank = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(blank, "PNG")
    import base64

    resp = await client.post(f"/api/v1/documents/{doc}/sign?t={token}", json={
        "code": code, "signature": "data:image/png;base64,"
        + base64.b64encode(blank.getvalue()).decode()})
    err = (await resp.json())["error"]
    assert resp.status == 422 and err["code"] == "blank_signature"
    assert err["message"] == SigningRefused("blank_signature").message


async def test_unreachable_licensed_tsa_stops_the_signing_cleanly(tmp_path) -> None:
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, tsa_url="http://127.0.0.1:9/tsa")
    async with TestClient(TestServer(create_app(settings))) as client:
        case, doc, _ = await issued(client)
        token = party_token(client.app, case, case.applicant)
        await client.get(f"/api/v1/documents/{doc}?t={token}")
        await client.post(f"/api/v1/documents/{doc}/otp?t={token}")
        code = client.app[keys.DOCUMENTS].otp.sender.last_code(APPLICANT_PHONE)
        resp = await client.post(f"/api/v1/documents/{doc}/sign?t={token}",
                                 json={"code": code, "signature": png_data_url()})
        err = (await resp.json())["error"]
        assert resp.status == 409 and err["code"] == "trust_service_down"
        summary = await (await client.get(f"/api/v1/documents/{doc}?t={token}")).json()
        assert not summary["slots"][0]["signed"]
