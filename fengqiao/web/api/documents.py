"""JSON API of the documents services: evidence, agreement, signing, delivery, verification.

Each handler is declared with the permission it needs and how to find its case; the door has
checked both before it runs (fengqiao/web/kit/door.py).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from aiohttp import web

from fengqiao import errors, keys
from fengqiao.documents.filetypes import OFFICE_TYPES
from fengqiao.documents.service import DocumentService
from fengqiao.documents.service_address import in_wechat
from fengqiao.documents.viewer import Viewer, party_viewer, staff_viewer
from fengqiao.web.api import documents_models as m
from fengqiao.web.kit import limits
from fengqiao.web.kit import requester as req
from fengqiao.web.kit.door import Call, Routes, by_case, by_document, by_file
from fengqiao.web.kit.limits import limit_lookup
from fengqiao.web.kit.ranges import ranged_response
from fengqiao.web.kit.uploads import FILE_SCHEMA, UPLOAD_SCHEMA, read_upload
from fengqiao.web.pages.agreement_fields import masked_summary

routes = Routes()
RESIDENT_PURPOSES = frozenset({"case", "sign", "delivery", "evidence"})
EMPTY_FILE = "文件为空，请重新选择。"
BAD_IMAGE = "签名图片无法识别，请重新手写签名。"
# What an evidence file can be (filetypes.sniff): it is served in its own type.
EVIDENCE_TYPES = ("image/*", "audio/*", "video/*", "application/pdf", *OFFICE_TYPES)


def docs(call: Call[Any, Any]) -> DocumentService:
    return call.app[keys.DOCUMENTS]


async def viewer(call: Call[Any, Any]) -> Viewer:
    """The documents services' view of the one requester the door admitted."""
    who = call.who
    if isinstance(who, req.Staff):
        found = staff_viewer(who.user.username, who.user.display_name, who.user.phone)
    elif isinstance(who, req.Party | req.Resident) and call.case and call.party_id:
        purposes = (
            frozenset({who.claims.purpose}) if isinstance(who, req.Party) else RESIDENT_PURPOSES
        )
        name = await call.app[keys.SCOPES].party_name(call.party_id)
        found = party_viewer(call.case.id, call.party_id, name, purposes)
    else:
        raise errors.Forbidden("forbidden", "没有权限进行此操作")
    # A party link says who it was sent to, not which WeChat account opened it: only a link
    # opened in WeChat's browser (or the mini-program) is "from WeChat".
    from_wechat = not isinstance(who, req.Party) or in_wechat(call.user_agent)
    return found.with_client(call.client_ip, call.user_agent, from_wechat)


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


# --- evidence -----------------------------------------------------------------------------
@routes.post(
    "/api/v1/cases/{code}/evidence",
    "evidence.upload",
    case=by_case(),
    response=m.Evidence,
    summary="Upload evidence to a case (multipart `file`, optional `visibility`)",
    body_media_type="multipart/form-data",
    body_schema=UPLOAD_SCHEMA,
    errors=(413, 415, 422, 429),
)
async def upload_evidence(call: Call[Any, Any]) -> Any:
    await limits.limit_party_writes(call.request)
    cap = limits.upload_limit(call.request, docs(call).evidence.max_bytes,
                              limits.PARTY_EVIDENCE_MAX)
    data, name, fields = await read_upload(call.request, cap)
    assert call.case is not None
    await limits.check_case_quota(call.request, call.case.id, len(data))
    return await docs(call).evidence.upload(
        call.path("code"),
        await viewer(call),
        data,
        name,
        visibility=fields.get("visibility", "parties"),
        channel=fields.get("channel", "api")[:16],
    )



@routes.get(
    "/api/v1/cases/{code}/evidence",
    "evidence.view",
    case=by_case(),
    response=m.EvidenceList,
    summary="Evidence of a case visible to the caller, with comments (质证意见)",
)
async def list_evidence(call: Call[Any, Any]) -> Any:
    seen_by = await viewer(call)
    found = await docs(call).evidence.list_for(call.path("code"), seen_by)
    return {"evidence": found, "party_id": None if seen_by.is_staff else seen_by.party_id}


async def _serve_evidence(call: Call[Any, Any], thumbnail: bool) -> web.Response:
    data, mime, name = await docs(call).evidence.open(
        call.path_id(), await viewer(call), thumbnail=thumbnail
    )
    disposition = "inline" if mime.startswith("image/") else "attachment"
    # Range: a recording's player seeks (206) instead of downloading it all first.
    return ranged_response(
        call.request,
        data,
        mime,
        {
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name or 'evidence')}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@routes.get(
    "/api/v1/evidence/{id}/file",
    "evidence.view",
    case=by_file(),
    summary="Download an evidence file (checked against its SHA-256), in its own type",
    media_type=EVIDENCE_TYPES,
)
async def evidence_file(call: Call[Any, Any]) -> web.Response:
    return await _serve_evidence(call, thumbnail=False)


@routes.get(
    "/api/v1/evidence/{id}/thumbnail",
    "evidence.view",
    case=by_file(),
    summary="Thumbnail of an image evidence (JPEG without metadata)",
    media_type="image/jpeg",
)
async def evidence_thumbnail(call: Call[Any, Any]) -> web.Response:
    return await _serve_evidence(call, thumbnail=True)


@routes.post(
    "/api/v1/evidence/{id}/comments",
    "evidence.comment",
    case=by_file(),
    body=m.Comment,
    response=m.EvidenceComment,
    summary="Comment on another party's evidence (质证)",
)
async def comment_evidence(call: Call[m.Comment, Any]) -> Any:
    return await docs(call).evidence.comment(call.path_id(), await viewer(call), call.body.text)


# --- agreement ----------------------------------------------------------------------------
@routes.post(
    "/api/v1/cases/{code}/agreement",
    "document.draft",
    case=by_case(),
    response=m.DocumentSummary,
    summary="Create (or return) the case's draft agreement, filled from the case",
)
async def draft_agreement(call: Call[Any, Any]) -> Any:
    return await docs(call).agreements.draft(call.path("code"), await viewer(call))


@routes.put(
    "/api/v1/documents/{doc}/draft",
    "document.draft",
    case=by_document(),
    body=m.DraftUpdate,
    response=m.DocumentSummary,
    summary="Replace fields of a draft agreement; answers the problems left",
    errors=(409, 422),
)
async def update_draft(call: Call[m.DraftUpdate, Any]) -> Any:
    fields = call.body.model_dump(mode="json", exclude_unset=True)
    return await docs(call).agreements.update_draft(call.path("doc"), await viewer(call), fields)


@routes.get(
    "/api/v1/documents/{doc}",
    "document.view",
    case=by_document(),
    response=m.DocumentSummary,
    summary="A document: status, text for preview, signature slots and whose turn it is",
)
async def document_summary(call: Call[Any, Any]) -> Any:
    summary = await docs(call).agreements.summary(call.path("doc"), await viewer(call))
    # The seal keeper reads the agreement masked, as on the case and agreement pages: sealing
    # needs the document's state and text, not the parties' ID numbers (the PDF is unchanged).
    return summary if call.unmasked else masked_summary(summary)


@routes.post(
    "/api/v1/documents/{doc}/issue",
    "document.draft",
    case=by_document(),
    summary="Issue the agreement: PDF with signature fields; signing links go to parties",
    errors=(409, 422),
)
async def issue_agreement(call: Call[Any, Any]) -> Any:
    return {"links": await docs(call).agreements.issue(call.path("doc"), await viewer(call))}


@routes.get(
    "/api/v1/documents/{doc}/links",
    "document.draft",
    case=by_document(),
    summary="Per-party signing links (party id -> URL), to copy or resend",
)
async def signing_links(call: Call[Any, Any]) -> Any:
    return {"links": await docs(call).agreements.links(call.path("doc"), await viewer(call))}


@routes.post(
    "/api/v1/documents/{doc}/otp",
    "document.code",
    case=by_document(),
    response=m.CodeSent,
    summary="Send a one-time code to the signer's phone (when it is their turn)",
    errors=(409, 429),
)
async def request_code(call: Call[Any, Any]) -> Any:
    return await docs(call).agreements.request_code(call.path("doc"), await viewer(call))


def _png(value: str) -> bytes:
    data = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise errors.Invalid("bad_image", BAD_IMAGE) from None


@routes.post(
    "/api/v1/documents/{doc}/sign",
    "document.sign",
    case=by_document(),
    body=m.Sign,
    response=m.DocumentSummary,
    summary="Sign: one-time code + drawn signature (PNG, data URL or base64)",
    errors=(409, 422),
)
async def sign(call: Call[m.Sign, Any]) -> Any:
    return await docs(call).agreements.sign(
        call.path("doc"),
        await viewer(call),
        code=call.body.code,
        signature_png=_png(call.body.signature),
        field=call.body.field or None,
    )


@routes.post(
    "/api/v1/documents/{doc}/seal",
    "document.seal",
    case=by_document(),
    body=m.Seal,
    response=m.DocumentSummary,
    summary="Apply the committee's seal, last, with the seal keeper's one-time code "
    "(POST /otp sends it when the seal is next); starts the 30 days for judicial confirmation",
    errors=(409,),
)
async def seal(call: Call[m.Seal, Any]) -> Any:
    summary = await docs(call).agreements.seal(
        call.path("doc"), await viewer(call), code=call.body.code
    )
    return summary if call.unmasked else masked_summary(summary)


@routes.get(
    "/api/v1/documents/{doc}/pdf",
    "document.view",
    case=by_document(),
    summary="The document's current PDF (a delivery link's download is recorded)",
    media_type="application/pdf",
    errors=(409,),
)
async def document_pdf(call: Call[Any, Any]) -> web.Response:
    code, who = call.path("doc"), await viewer(call)
    purpose = "sign"
    if not who.is_staff and "delivery" in who.purposes:
        await docs(call).delivery.open(code, who, download=True)
        purpose = "delivery"
    return _pdf(await docs(call).agreements.pdf(code, who, purpose), f"{code}.pdf")


@routes.get(
    "/api/v1/documents/{doc}/audit-certificate",
    "document.view",
    case=by_document(),
    summary="Audit certificate PDF: every event with time, IP, user agent, document hash",
    media_type="application/pdf",
)
async def audit_certificate(call: Call[Any, Any]) -> web.Response:
    code = call.path("doc")
    data = await docs(call).proofs.audit_certificate(code, await viewer(call))
    return _pdf(data, f"{code}-audit.pdf")


# --- delivery -----------------------------------------------------------------------------
@routes.post(
    "/api/v1/cases/{code}/service-consent",
    "delivery.consent",
    case=by_case(),
    body=m.ServiceConsent,
    response=m.ServiceConsentGiven,
    summary="Record the party's consent to electronic service (送达地址确认书)",
    errors=(409,),
)
async def service_consent(call: Call[m.ServiceConsent, Any]) -> Any:
    openid = call.who.openid if isinstance(call.who, req.Resident) else None
    return await docs(call).delivery.consent(call.path("code"), await viewer(call), openid=openid,
                                             wording=call.body.wording)


@routes.post(
    "/api/v1/documents/{doc}/deliver",
    "delivery.send",
    case=by_document(),
    summary="Serve the sealed document on every consenting party",
    errors=(409,),
)
async def deliver(call: Call[Any, Any]) -> Any:
    found = await docs(call).delivery.deliver(call.path("doc"), await viewer(call))
    return {"deliveries": found}


@routes.get(
    "/api/v1/documents/{doc}/delivery",
    "delivery.open",
    case=by_document(),
    response=m.DeliveredDocument,
    summary="The recipient opens a delivered document (first open recorded)",
)
async def open_delivery(call: Call[Any, Any]) -> Any:
    return await docs(call).delivery.open(call.path("doc"), await viewer(call))


@routes.post(
    "/api/v1/documents/{doc}/delivery/acknowledge",
    "delivery.open",
    case=by_document(),
    response=m.DeliveredDocument,
    summary="The recipient acknowledges receipt (签收) of a delivered document",
)
async def acknowledge_delivery(call: Call[Any, Any]) -> Any:
    return await docs(call).delivery.acknowledge(call.path("doc"), await viewer(call))


@routes.post(
    "/api/v1/documents/{doc}/paper-copy",
    "delivery.open",
    case=by_document(),
    body=m.PaperCopy,
    response=m.DeliveredDocument,
    summary="Ask for a paper copy of a delivered document",
    errors=(422,),
)
async def paper_copy(call: Call[m.PaperCopy, Any]) -> Any:
    return await docs(call).delivery.request_paper(
        call.path("doc"), await viewer(call), call.body.address
    )


@routes.get(
    "/api/v1/documents/{doc}/service-certificate",
    "delivery.certificate",
    case=by_document(),
    summary="Electronic service certificate PDF (送达证明)",
    media_type="application/pdf",
)
async def service_certificate(call: Call[Any, Any]) -> web.Response:
    code = call.path("doc")
    data = await docs(call).proofs.service_certificate(code, await viewer(call))
    return _pdf(data, f"{code}-service.pdf")


@routes.get(
    "/api/v1/documents/{doc}/judicial-package",
    "judicial.package",
    case=by_document(),
    summary="Judicial confirmation package (zip)",
    media_type="application/zip",
    errors=(409,),
)
async def judicial_package(call: Call[Any, Any]) -> web.Response:
    code = call.path("doc")
    data = await docs(call).proofs.judicial_package(code, await viewer(call))
    return web.Response(
        body=data,
        content_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(code)}-judicial.zip",
            "Cache-Control": "private, no-store",
        },
    )


# --- verification (public) ----------------------------------------------------------------
@routes.post(
    "/api/v1/verify",
    "public",
    summary="Verify an uploaded PDF (multipart `file` or raw application/pdf body)",
    body_media_type="multipart/form-data",
    body_schema=FILE_SCHEMA,
    errors=(400, 413),
)
async def verify_upload(call: Call[Any, Any]) -> Any:
    data, _, _ = await read_upload(call.request, 30 * 1024 * 1024)
    if not data:
        raise errors.BadRequest("empty", EMPTY_FILE)
    return await docs(call).proofs.verify_upload(data)


@routes.get(
    "/api/v1/verify/{doc}",
    "public",
    summary="Verify the archived copy of a document by its code (names masked)",
    errors=(404, 409, 429),
)
async def verify_code(call: Call[Any, Any]) -> Any:
    # A public look-up by code, like a case's progress: the same limit per address.
    await limit_lookup(call.request)
    return await docs(call).proofs.verify_code(call.path("doc"))
