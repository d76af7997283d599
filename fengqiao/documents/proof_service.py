"""What proves a document: verification of any PDF against the platform's root, the audit
certificate of its signing, the electronic service certificate, and the package a court
needs for judicial confirmation."""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

from fengqiao.documents import final_version, lookup, records, service_address
from fengqiao.documents.certificates import (
    audit_certificate_pdf,
    service_certificate_pdf,
)
from fengqiao.documents.delivery_service import DeliveryService
from fengqiao.documents.errors import Conflict
from fengqiao.documents.ltv import Timestamping, sign_as_platform, timestamping_for
from fengqiao.documents.pki import PlatformCA
from fengqiao.documents.texts import CERTIFICATES, DOCS
from fengqiao.documents.verify import VerificationResult, coverage_text, sentences, verify_pdf
from fengqiao.documents.viewer import Viewer
from fengqiao.settings import Settings
from fengqiao.storage.db import Database
from fengqiao.storage.files import FileStore

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


def result_json(result: VerificationResult, *, mask: bool = False) -> dict[str, Any]:
    def who(name: str, role: str) -> str:
        return name if role == "seal" or not mask else mask_name(name)

    return {
        "ok": result.ok, "message": result.message, "sha256": result.sha256,
        "modified_after_last": result.modified_after_last,
        "long_term": result.long_term,
        "archive_timestamp": (result.archive_timestamp.isoformat()
                              if result.archive_timestamp else None),
        "signatures": [{
            "field": s.field_name, "label": s.label, "signer": who(s.signer_name, s.role),
            "signer_id": "" if mask else s.signer_id, "role": s.role,
            "organisation": s.organisation, "operator": s.operator,
            "signed_at": s.signed_at.isoformat() if s.signed_at else None,
            "timestamp": s.timestamp.isoformat() if s.timestamp else None,
            "ok": s.ok, "intact": s.intact, "valid": s.valid, "trusted": s.trusted,
            "coverage": s.coverage, "coverage_text": coverage_text(s.coverage),
            "problems": s.problems,
        } for s in result.signatures],
    }


def _with_final(body: dict[str, Any], result: VerificationResult,
                check: final_version.FinalCheck) -> dict[str, Any]:
    """``ok`` only for a valid final version; ``message`` says which it is, first."""
    body["signatures_valid"] = result.ok
    body["final"] = check.final
    body["ok"] = result.ok and check.final
    if result.ok:
        body["message"] = check.message
    elif not check.final:
        body["message"] = sentences([result.message, check.message])
    body["document"] = check.document
    return body


class ProofService:
    def __init__(self, db: Database, files: FileStore, ca: PlatformCA,
                 delivery: DeliveryService, settings: Settings,
                 timestamping: Timestamping | None = None) -> None:
        self.db, self.files, self.ca = db, files, ca
        self.delivery, self.settings = delivery, settings
        self.timestamping = timestamping or timestamping_for(ca)
        self.tsa_roots = self.timestamping.trust_roots or None

    # --- the published trust anchor --------------------------------------------------
    def root_ca_pem(self) -> bytes:
        """The platform's root certificate (PEM): the one trust anchor a court or a lawyer
        needs to check every signature and timestamp with their own tools."""
        return self.ca.root_pem()

    def published_crl(self, which: str) -> bytes | None:
        """The current CRL (DER) of ``root-ca`` or ``issuing-ca``; None if not ours to sign."""
        if which == "issuing-ca":
            return self.ca.issuing_crl()
        if which == "root-ca":
            return self.ca.root_crl()
        return None

    async def verify_upload(self, pdf: bytes) -> dict[str, Any]:
        """Anyone may check a file: its signatures, and whether it is the final version
        the platform archived (a copy cut before the seal is valid but not final)."""
        result = await self._verify(pdf)
        body = result_json(result)
        async with self.db.read() as session:
            doc = await final_version.archived_document(session, pdf)
            slots = len(await records.slots_of(session, doc.id)) if doc else 0
        archived = await self.files.get(doc.file_key) if doc and doc.file_key else None
        check = final_version.judge(pdf, doc, archived, slots, len(result.signatures))
        return _with_final(body, result, check)

    async def verify_code(self, code: str) -> dict[str, Any]:
        """The archived copy of a document code: names masked, no ID numbers."""
        async with self.db.read() as session:
            doc = await records.load_doc(session, code)
            slots = len(await records.slots_of(session, doc.id))
        if not doc.file_key:
            raise Conflict("not_signing", DOCS["not_signing"])
        pdf = await self.files.get(doc.file_key)
        result = await self._verify(pdf)
        body = result_json(result, mask=True)
        check = final_version.judge(pdf, doc, pdf, slots, len(result.signatures))
        return _with_final(body, result, check)

    async def _verify(self, pdf: bytes) -> VerificationResult:
        roots = [self.ca.trust_root]
        return await verify_pdf(pdf, roots, intermediates=self.ca.intermediates,
                                tsa_roots=roots + self.tsa_roots if self.tsa_roots else None)

    async def audit_certificate(self, doc_code: str, viewer: Viewer) -> bytes:
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            viewer.require_case(doc.case_id, "sign", "delivery")
            events = await records.events_of(session, doc.id)
        rows = [{"event": e.event, "time": e.created_at, "actor": e.actor, "ip": e.ip,
                 "user_agent": e.user_agent, "doc_sha256": e.doc_sha256,
                 "detail": e.detail or {}} for e in events]
        pdf = await asyncio.to_thread(
            audit_certificate_pdf, title=doc.title, doc_code=doc.code, events=rows,
            public_url=self.settings.public_url, font_path=self.settings.cjk_font or None)
        return await self._platform_sign(pdf)

    async def service_certificate(self, doc_code: str, viewer: Viewer) -> bytes:
        """电子送达证明: every consent and every attempt with its times; a PDF the platform
        signs (B-LTA), so it cannot be altered unnoticed either."""
        viewer.require_staff()
        doc, rows = await self.delivery.deliveries(doc_code)
        consents = await self.delivery.consents(doc.case_id)
        async with self.db.read() as session:
            names = {p.id: p.name or "" for p in await lookup.case_parties(session, doc.case_id)}
        channels = {c.id: c.channel for c in consents}
        items = [{"recipient": d.recipient, "attempt": d.attempt,
                  "address": service_address.shown(
                      channels.get(d.consent_id or 0, service_address.WECHAT), d.address),
                  "status": d.status,
                  "sent_at": d.sent_at, "delivered_at": d.delivered_at, "read_at": d.read_at,
                  "downloaded_at": d.downloaded_at, "acknowledged_at": d.acknowledged_at,
                  "reminded_at": d.reminded_at, "paper_task_at": d.paper_task_at,
                  "paper_requested_at": d.paper_requested_at, "failure": d.failure,
                  "doc_sha256": d.doc_sha256} for d in rows]
        consent_items = [{"recipient": names.get(c.party_id, ""), "time": c.consented_at,
                          "address": service_address.consent_address(c),
                          "wording": c.wording or "", "wording_sha256": c.wording_sha256 or ""}
                         for c in consents]
        pdf = await asyncio.to_thread(
            service_certificate_pdf, title=doc.title, doc_code=doc.code, deliveries=items,
            consents=consent_items, doc_sha256=doc.sha256 or "",
            public_url=self.settings.public_url, font_path=self.settings.cjk_font or None)
        return await self._platform_sign(pdf)

    async def _platform_sign(self, pdf: bytes) -> bytes:
        return await sign_as_platform(pdf, self.ca, self.timestamping,
                                      organisation=self.settings.centre_name,
                                      reason=CERTIFICATES["platform_reason"])

    async def judicial_package(self, doc_code: str, staff: Viewer) -> bytes:
        """Everything a court needs for judicial confirmation, as one zip (see judicial.py)."""
        from fengqiao.documents.judicial_service import build_judicial_package

        return await build_judicial_package(self, doc_code, staff)

    async def platform_sign(self, pdf: bytes) -> bytes:
        return await self._platform_sign(pdf)

