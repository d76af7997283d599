"""Where each agreement of a case stands, as the console shows it: its status in the words a
mediator uses (草稿, 待签署, 已盖章, 已送达), who has opened the issued text and who has signed,
and the delivery to each party. Read-only; the services change the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from fengqiao.documents import judicial, lookup, records
from fengqiao.storage.db import Database
from fengqiao.storage.models import Delivery, Document, DocumentEvent, ServiceConsent

STAGES = {"draft": "草稿", "signing": "待签署", "sealed": "已盖章", "void": "已作废"}
DELIVERED = "已送达"
DELIVERY_STATUS = {"sent": "已发出", "delivered": "已送达", "read": "已查看",
                   "failed": "发送失败"}


def stage_name(status: str, delivered: bool) -> str:
    if status == "sealed" and delivered:
        return DELIVERED
    return STAGES.get(status, status)


async def case_agreements(db: Database, case_code: str) -> list[dict[str, Any]]:
    """Every agreement of the case, newest first, with its stage and its signers' progress."""
    async with db.read() as session:
        case = await lookup.case_by_code(session, case_code)
        docs = (await session.scalars(select(Document).where(
            Document.case_id == case.id, Document.kind == "agreement")
            .order_by(Document.id.desc()))).all()
        return [await _progress(session, doc) for doc in docs]


async def agreement_progress(db: Database, doc_code: str) -> dict[str, Any]:
    async with db.read() as session:
        return await _progress(session, await records.load_doc(session, doc_code))


async def _progress(session: Any, doc: Document) -> dict[str, Any]:
    slots = await records.slots_of(session, doc.id)
    opened = (await session.scalars(select(DocumentEvent).where(
        DocumentEvent.document_id == doc.id, DocumentEvent.event == "opened"))).all()
    deliveries = (await session.scalars(select(Delivery).where(
        Delivery.document_id == doc.id).order_by(Delivery.id))).all()
    consented = set((await session.scalars(select(ServiceConsent.party_id).where(
        ServiceConsent.case_id == doc.case_id))).all())
    latest: dict[int, Delivery] = {}
    for row in deliveries:
        latest[row.party_id] = row  # the latest attempt per party

    def has_opened(signer_key: str, party_id: int | None) -> bool:
        for event in opened:
            detail = event.detail or {}
            if detail.get("text_sha256") != doc.original_sha256:
                continue
            if party_id is not None and event.party_id == party_id:
                return True
            if party_id is None and detail.get("by") == signer_key:
                return True
        return False

    signers = [{
        "label": s.label, "name": s.name, "role": s.role,
        "opened": s.role != "seal" and has_opened(s.signer_key, s.party_id),
        "consented": s.party_id in consented,
        "signed": s.signed_at is not None, "signed_at": s.signed_at,
    } for s in slots]
    delivered = any(d.status in ("sent", "delivered", "read") for d in latest.values())
    names = {s.party_id: s.name for s in slots if s.party_id is not None}
    return {
        "code": doc.code, "title": doc.title, "status": doc.status,
        "stage": stage_name(doc.status, delivered), "delivered": delivered,
        "issued_at": doc.issued_at, "sealed_at": doc.sealed_at,
        "judicial_deadline_at": doc.judicial_deadline_at,
        "judicial_deadline": _judicial_deadline(doc),
        "signers": signers,
        "next": next((s["label"] for s in signers if not s["signed"]), None)
        if doc.status == "signing" else None,
        "deliveries": [{
            "name": names.get(d.party_id, ""), "status": DELIVERY_STATUS.get(d.status, "处理中"),
            "sent_at": d.sent_at, "read_at": d.read_at, "acknowledged_at": d.acknowledged_at,
        } for d in latest.values()],
    }



def _judicial_deadline(doc: Document) -> str | None:
    """The 30-day window to apply for judicial confirmation, as people say it (… 24:00)."""
    if doc.status != "sealed" or doc.sealed_at is None:
        return None
    deadline = doc.judicial_deadline_at or judicial.judicial_deadline(_aware(doc.sealed_at))
    return judicial.deadline_text(_aware(deadline))


def _aware(at: datetime) -> datetime:
    """SQLite gives naive datetimes back; every stored time is UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
