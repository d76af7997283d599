"""HTTP edge of the documents services: evidence, agreement, signing, delivery, verification.

Handlers parse, find out who is asking (web/access.py), call one service function, render.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from fengqiao import keys
from fengqiao.documents import errors
from fengqiao.documents.service import DocumentService
from fengqiao.documents.texts import ACCESS, UPLOAD
from fengqiao.documents.viewer import Viewer, party_viewer, staff_viewer
from fengqiao.web import access
from fengqiao.web.documents_pages import setup_pages
from fengqiao.web.errors import ApiError
from fengqiao.web.openapi import documented
from fengqiao.web.params import path_id

_STATUS: list[tuple[type[errors.DocumentError], int]] = [
    (errors.NotFound, 404),
    (errors.Forbidden, 403),
    (errors.Conflict, 409),
    (errors.Invalid, 422),
    (errors.BadCode, 400),
    (errors.TooMany, 429),
    (errors.TooLarge, 413),
    (errors.Unsupported, 415),
]


class ProblemsError(ApiError):
    """A 4xx whose body also lists ``problems`` (an incomplete agreement)."""

    def __init__(self, status: int, code: str, message: str, problems: list[Any]) -> None:
        self.status_code = status
        web.HTTPException.__init__(
            self,
            content_type="application/json",
            text=json.dumps(
                {"error": {"code": code, "message": message, "problems": problems}},
                ensure_ascii=False,
            ),
        )


def api_error(exc: errors.DocumentError) -> ApiError:
    status = next((s for cls, s in _STATUS if isinstance(exc, cls)), 400)
    if exc.problems:
        return ProblemsError(status, exc.code, exc.message, exc.problems)
    return ApiError(status, exc.code, exc.message)


def docs_of(request: web.Request) -> DocumentService:
    return request.app[keys.DOCUMENTS]


def _json(body: Any) -> web.Response:
    return web.json_response(
        body,
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
        headers={"Cache-Control": "no-store"},
    )


async def viewer_for(request: web.Request, case_id: Callable[[], Awaitable[int | None]]) -> Viewer:
    """Staff session, party link, or mini-program session; 401 without any of them."""
    ip, ua = access.client_ip(request), access.user_agent(request)
    staff = await access.current_staff(request)
    if staff is not None:
        return staff_viewer(staff.id, staff.name, staff.phone).with_client(ip, ua)
    docs = docs_of(request)
    claims = access.party_claims(request)
    if claims is not None and claims.case_id is not None and claims.party_id is not None:
        from fengqiao.storage.models import CaseParty

        async with docs.db.read() as session:
            party = await session.get(CaseParty, claims.party_id)
        if party is None or party.case_id != claims.case_id:
            raise ApiError(401, "bad_token", ACCESS["bad_token"])
        return party_viewer(
            claims.case_id, claims.party_id, party.name or "", frozenset({claims.purpose})
        ).with_client(ip, ua)
    openid = await access.miniprogram_openid(request)
    if openid:
        cid = await case_id()
        party = await docs.party_for_openid(cid, openid) if cid is not None else None
        if party is None:
            raise ApiError(403, "not_party", ACCESS["not_party"])
        return party_viewer(party.case_id, party.id, party.name or "").with_client(ip, ua)
    raise ApiError(401, "no_access", ACCESS["no_access"])


def handles(
    fn: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Turn the services' refusals into JSON errors with the right status."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except errors.DocumentError as exc:
            raise api_error(exc) from None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "请求格式不正确。") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "请求格式不正确。")
    return body


async def read_upload(request: web.Request, limit: int) -> tuple[bytes, str | None, dict[str, str]]:
    """The uploaded file (multipart field ``file``, or the raw body), at most ``limit`` bytes.

    Read in chunks so an oversized upload is refused at the limit, not after buffering it.
    """
    too_large = ApiError(
        413, "too_large", UPLOAD["too_large"].format(limit_mb=max(1, limit // (1024 * 1024)))
    )
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise too_large
    fields: dict[str, str] = {}
    if request.content_type.startswith("multipart/"):
        try:
            return await _read_multipart(request, limit, too_large)
        except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError):
            # No boundary, a broken part header or body: the client's mistake, not ours.
            raise ApiError(400, "bad_form", UPLOAD["bad_form"]) from None
    data = await _read_limited(request.content.read, limit, too_large)
    name = request.headers.get("X-File-Name")
    return data, unquote(name) if name else None, fields


async def _read_multipart(
    request: web.Request, limit: int, too_large: ApiError
) -> tuple[bytes, str | None, dict[str, str]]:
    fields: dict[str, str] = {}
    reader = await request.multipart()
    data, name = b"", None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            # Some clients percent-encode non-ASCII names; the name is for display only.
            name = unquote(part.filename) if part.filename else None
            data = await _read_limited(part.read_chunk, limit, too_large)
        elif part.name:
            fields[part.name] = (await part.text())[:64]
    return data, name, fields


async def _read_limited(
    read: Callable[[int], Awaitable[bytes]], limit: int, too_large: ApiError
) -> bytes:
    buf = bytearray()
    while chunk := await read(64 * 1024):
        buf += chunk
        if len(buf) > limit:
            raise too_large
    return bytes(buf)


def _code_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


CASE = [_code_param("code")]
DOC = [_code_param("doc")]
EVIDENCE = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
OBJ = {"type": "object"}


# --- evidence -----------------------------------------------------------------------------
@documented(
    "Upload evidence to a case (multipart field `file`, optional `visibility`: parties | mediator)",
    request={
        "type": "object",
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "visibility": {"type": "string"},
        },
    },
    content_type="multipart/form-data",
    response=OBJ,
    errors=(401, 403, 404, 413, 415, 422),
    parameters=CASE,
    security=True,
)
@handles
async def upload_evidence(request: web.Request) -> web.Response:
    docs, code = docs_of(request), request.match_info["code"]
    viewer = await viewer_for(request, lambda: docs.case_id_of_case(code))
    data, name, fields = await read_upload(request, docs.evidence.max_bytes)
    record = await docs.evidence.upload(
        code,
        viewer,
        data,
        name,
        visibility=fields.get("visibility", "parties"),
        channel=fields.get("channel", "api")[:16],
    )
    return _json(record)


@documented(
    "Evidence of a case visible to the caller, with comments (质证意见)",
    response={"type": "object", "properties": {"evidence": {"type": "array"}}},
    errors=(401, 403, 404),
    parameters=CASE,
    security=True,
)
@handles
async def list_evidence(request: web.Request) -> web.Response:
    docs, code = docs_of(request), request.match_info["code"]
    viewer = await viewer_for(request, lambda: docs.case_id_of_case(code))
    return _json({"evidence": await docs.evidence.list_for(code, viewer)})


def _evidence_id(request: web.Request) -> int:
    found = path_id(request)
    if found is None:
        raise ApiError(404, "evidence_not_found", "证据不存在。")
    return found


async def _serve_evidence(request: web.Request, thumbnail: bool) -> web.Response:
    docs, file_id = docs_of(request), _evidence_id(request)
    viewer = await viewer_for(request, lambda: docs.case_id_of_evidence(file_id))
    data, mime, name = await docs.evidence.open(file_id, viewer, thumbnail=thumbnail)
    disposition = "inline" if mime.startswith("image/") else "attachment"
    return web.Response(
        body=data,
        content_type=mime,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name or 'evidence')}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@documented(
    "Download an evidence file (the original, checked against its SHA-256)",
    errors=(401, 403, 404),
    parameters=EVIDENCE,
    security=True,
)
@handles
async def evidence_file(request: web.Request) -> web.Response:
    return await _serve_evidence(request, thumbnail=False)


@documented(
    "Thumbnail of an image evidence (JPEG without metadata)",
    errors=(401, 403, 404),
    parameters=EVIDENCE,
    security=True,
)
@handles
async def evidence_thumbnail(request: web.Request) -> web.Response:
    return await _serve_evidence(request, thumbnail=True)


@documented(
    "Comment on another party's evidence (质证)",
    request={"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
    response=OBJ,
    errors=(401, 403, 404, 422),
    parameters=EVIDENCE,
    security=True,
)
@handles
async def comment_evidence(request: web.Request) -> web.Response:
    docs, file_id = docs_of(request), _evidence_id(request)
    viewer = await viewer_for(request, lambda: docs.case_id_of_evidence(file_id))
    body = await _body(request)
    return _json(await docs.evidence.comment(file_id, viewer, str(body.get("text", ""))))


# --- agreement ----------------------------------------------------------------------------
async def _staff(request: web.Request) -> Viewer:
    staff = await access.require_staff(request)
    return staff_viewer(staff.id, staff.name, staff.phone).with_client(
        access.client_ip(request), access.user_agent(request)
    )


@documented(
    "Create (or return) the case's draft agreement, filled from the case",
    response=OBJ,
    errors=(401, 403, 404),
    parameters=CASE,
    security=True,
)
@handles
async def draft_agreement(request: web.Request) -> web.Response:
    staff = await _staff(request)
    return _json(await docs_of(request).agreements.draft(request.match_info["code"], staff))


@documented(
    "Replace fields of a draft agreement (mediator); answers the problems left",
    request=OBJ,
    response=OBJ,
    errors=(401, 403, 404, 409, 422),
    parameters=DOC,
    security=True,
)
@handles
async def update_draft(request: web.Request) -> web.Response:
    staff = await _staff(request)
    body = await _body(request)
    return _json(
        await docs_of(request).agreements.update_draft(request.match_info["doc"], staff, body)
    )


def _doc_viewer(request: web.Request) -> Awaitable[Viewer]:
    docs, code = docs_of(request), request.match_info["doc"]
    return viewer_for(request, lambda: docs.case_id_of_document(code))


@documented(
    "A document: status, text for preview, signature slots and whose turn it is",
    response=OBJ,
    errors=(401, 403, 404),
    parameters=DOC,
    security=True,
)
@handles
async def document_summary(request: web.Request) -> web.Response:
    viewer = await _doc_viewer(request)
    return _json(await docs_of(request).agreements.summary(request.match_info["doc"], viewer))


@documented(
    "Issue the agreement: PDF with signature fields; signing links go to parties",
    response={"type": "object", "properties": {"links": OBJ}},
    errors=(401, 403, 404, 409, 422),
    parameters=DOC,
    security=True,
)
@handles
async def issue_agreement(request: web.Request) -> web.Response:
    staff = await _staff(request)
    links = await docs_of(request).agreements.issue(request.match_info["doc"], staff)
    return _json({"links": links})


@documented(
    "Per-party signing/preview links (party id -> URL)",
    response=OBJ,
    errors=(401, 403, 404),
    parameters=DOC,
    security=True,
)
@handles
async def signing_links(request: web.Request) -> web.Response:
    staff = await _staff(request)
    return _json(
        {"links": await docs_of(request).agreements.links(request.match_info["doc"], staff)}
    )


@documented(
    "Send a one-time code to the signer's phone (when it is their turn)",
    response=OBJ,
    errors=(401, 403, 404, 409, 429),
    parameters=DOC,
    security=True,
)
@handles
async def request_code(request: web.Request) -> web.Response:
    viewer = await _doc_viewer(request)
    return _json(await docs_of(request).agreements.request_code(request.match_info["doc"], viewer))


def _png(value: str) -> bytes:
    data = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "bad_image", "签名图片无法识别，请重新手写签名。") from None


@documented(
    "Sign: one-time code + drawn signature (PNG, data URL or base64)",
    request={
        "type": "object",
        "required": ["code", "signature"],
        "properties": {
            "code": {"type": "string"},
            "signature": {"type": "string"},
            "field": {"type": "string"},
        },
    },
    response=OBJ,
    errors=(400, 401, 403, 404, 409, 422),
    parameters=DOC,
    security=True,
)
@handles
async def sign(request: web.Request) -> web.Response:
    viewer = await _doc_viewer(request)
    body = await _body(request)
    summary = await docs_of(request).agreements.sign(
        request.match_info["doc"],
        viewer,
        code=str(body.get("code", "")),
        signature_png=_png(str(body.get("signature", ""))),
        field=str(body["field"]) if body.get("field") else None,
    )
    return _json(summary)


@documented(
    "Apply the committee's seal, last; locks the document and starts the 30 days "
    "for judicial confirmation",
    response=OBJ,
    errors=(401, 403, 404, 409),
    parameters=DOC,
    security=True,
)
@handles
async def seal(request: web.Request) -> web.Response:
    staff = await _staff(request)
    body = await _body(request) if request.can_read_body else {}
    code = str(body.get("code", ""))  # sent by POST /otp when the seal is next
    return _json(await docs_of(request).agreements.seal(request.match_info["doc"], staff,
                                                        code=code))


def _pdf(data: bytes, name: str, inline: bool = True) -> web.Response:
    kind = "inline" if inline else "attachment"
    return web.Response(
        body=data,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f"{kind}; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@documented(
    "The document's current PDF (a delivery link's download is recorded)",
    errors=(401, 403, 404, 409),
    parameters=DOC,
    security=True,
)
@handles
async def document_pdf(request: web.Request) -> web.Response:
    docs, code = docs_of(request), request.match_info["doc"]
    viewer = await _doc_viewer(request)
    purpose = "sign"
    if not viewer.is_staff and "delivery" in viewer.purposes:
        await docs.delivery.open(code, viewer, download=True)
        purpose = "delivery"
    return _pdf(await docs.agreements.pdf(code, viewer, purpose), f"{code}.pdf")


@documented(
    "Audit certificate PDF: every event with time, IP, user agent, document hash",
    errors=(401, 403, 404),
    parameters=DOC,
    security=True,
)
@handles
async def audit_certificate(request: web.Request) -> web.Response:
    viewer = await _doc_viewer(request)
    code = request.match_info["doc"]
    return _pdf(await docs_of(request).proofs.audit_certificate(code, viewer), f"{code}-audit.pdf")


# --- delivery -----------------------------------------------------------------------------
@documented(
    "Record the party's consent to electronic service at their WeChat (送达地址确认书)",
    response=OBJ,
    errors=(401, 403, 404, 409),
    parameters=CASE,
    security=True,
)
@handles
async def service_consent(request: web.Request) -> web.Response:
    docs, code = docs_of(request), request.match_info["code"]
    viewer = await viewer_for(request, lambda: docs.case_id_of_case(code))
    openid = await access.miniprogram_openid(request)
    return _json(await docs.delivery.consent(code, viewer, openid=openid))


@documented(
    "Serve the sealed document on every consenting party through WeChat",
    response={"type": "object", "properties": {"deliveries": {"type": "array"}}},
    errors=(401, 403, 404, 409),
    parameters=DOC,
    security=True,
)
@handles
async def deliver(request: web.Request) -> web.Response:
    staff = await _staff(request)
    return _json(
        {"deliveries": await docs_of(request).delivery.deliver(request.match_info["doc"], staff)}
    )


@documented(
    "The recipient opens a delivered document (first open recorded)",
    response=OBJ,
    errors=(401, 403, 404),
    parameters=DOC,
    security=True,
)
@handles
async def open_delivery(request: web.Request) -> web.Response:
    viewer = await _doc_viewer(request)
    return _json(await docs_of(request).delivery.open(request.match_info["doc"], viewer))


@documented(
    "The recipient acknowledges receipt (签收) of a delivered document",
    response=OBJ,
    errors=(401, 403, 404),
    parameters=DOC,
    security=True,
)
@handles
async def acknowledge_delivery(request: web.Request) -> web.Response:
    viewer = await _doc_viewer(request)
    return _json(await docs_of(request).delivery.acknowledge(request.match_info["doc"], viewer))


@documented(
    "Ask for a paper copy of a delivered document",
    request={
        "type": "object",
        "required": ["address"],
        "properties": {"address": {"type": "string"}},
    },
    response=OBJ,
    errors=(401, 403, 404, 422),
    parameters=DOC,
    security=True,
)
@handles
async def paper_copy(request: web.Request) -> web.Response:
    viewer = await _doc_viewer(request)
    body = await _body(request)
    return _json(
        await docs_of(request).delivery.request_paper(
            request.match_info["doc"], viewer, str(body.get("address", ""))
        )
    )


@documented(
    "Electronic service certificate PDF (送达证明)",
    errors=(401, 403, 404),
    parameters=DOC,
    security=True,
)
@handles
async def service_certificate(request: web.Request) -> web.Response:
    staff = await _staff(request)
    code = request.match_info["doc"]
    return _pdf(
        await docs_of(request).proofs.service_certificate(code, staff), f"{code}-service.pdf"
    )


@documented(
    "Judicial confirmation package (zip): agreement, parties, mediation record, certificates",
    errors=(401, 403, 404, 409),
    parameters=DOC,
    security=True,
)
@handles
async def judicial_package(request: web.Request) -> web.Response:
    staff = await _staff(request)
    code = request.match_info["doc"]
    data = await docs_of(request).proofs.judicial_package(code, staff)
    return web.Response(
        body=data,
        content_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(code)}-judicial.zip",
            "Cache-Control": "private, no-store",
        },
    )


# --- verification (public) ----------------------------------------------------------------
@documented(
    "Verify an uploaded PDF (multipart `file` or raw application/pdf body)",
    request={"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
    content_type="multipart/form-data",
    response=OBJ,
    errors=(400, 413),
)
@handles
async def verify_upload(request: web.Request) -> web.Response:
    data, _, _ = await read_upload(request, 30 * 1024 * 1024)
    if not data:
        raise ApiError(400, "empty", UPLOAD["empty"])
    return _json(await docs_of(request).proofs.verify_upload(data))


@documented(
    "Verify the archived copy of a document by its code (names masked)",
    response=OBJ,
    errors=(404, 409),
    parameters=DOC,
)
@handles
async def verify_code(request: web.Request) -> web.Response:
    return _json(await docs_of(request).proofs.verify_code(request.match_info["doc"]))


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/cases/{code}/evidence", upload_evidence)
    r.add_get("/api/v1/cases/{code}/evidence", list_evidence)
    r.add_get("/api/v1/evidence/{id}/file", evidence_file)
    r.add_get("/api/v1/evidence/{id}/thumbnail", evidence_thumbnail)
    r.add_post("/api/v1/evidence/{id}/comments", comment_evidence)
    r.add_post("/api/v1/cases/{code}/agreement", draft_agreement)
    r.add_post("/api/v1/cases/{code}/service-consent", service_consent)
    r.add_get("/api/v1/documents/{doc}", document_summary)
    r.add_put("/api/v1/documents/{doc}/draft", update_draft)
    r.add_post("/api/v1/documents/{doc}/issue", issue_agreement)
    r.add_get("/api/v1/documents/{doc}/links", signing_links)
    r.add_post("/api/v1/documents/{doc}/otp", request_code)
    r.add_post("/api/v1/documents/{doc}/sign", sign)
    r.add_post("/api/v1/documents/{doc}/seal", seal)
    r.add_get("/api/v1/documents/{doc}/pdf", document_pdf)
    r.add_get("/api/v1/documents/{doc}/audit-certificate", audit_certificate)
    r.add_post("/api/v1/documents/{doc}/deliver", deliver)
    r.add_get("/api/v1/documents/{doc}/delivery", open_delivery)
    r.add_post("/api/v1/documents/{doc}/delivery/acknowledge", acknowledge_delivery)
    r.add_post("/api/v1/documents/{doc}/paper-copy", paper_copy)
    r.add_get("/api/v1/documents/{doc}/service-certificate", service_certificate)
    r.add_get("/api/v1/documents/{doc}/judicial-package", judicial_package)
    r.add_post("/api/v1/verify", verify_upload)
    r.add_get("/api/v1/verify/{doc}", verify_code)
    setup_pages(app)
