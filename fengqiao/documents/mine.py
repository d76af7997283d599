"""A party's documents on one case, for the resident's own space: what waits for their
signature (and whether it is their turn), what was served on them, and the consent to
electronic service with the exact text they are asked to agree to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from fengqiao.documents.texts import DOCS
from fengqiao.storage.db import Database
from fengqiao.storage.models import Delivery, Document, DocumentSlot, ServiceConsent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def party_documents(db: Database, case_id: int, party_id: int) -> dict[str, Any]:
    async with db.read() as session:
        docs = (await session.scalars(
            select(Document).where(Document.case_id == case_id, Document.status != "void")
            .order_by(Document.id))).all()
        slots = (await session.scalars(
            select(DocumentSlot).where(DocumentSlot.document_id.in_([d.id for d in docs] or [0]))
            .order_by(DocumentSlot.document_id, DocumentSlot.position))).all()
        deliveries = (await session.scalars(
            select(Delivery).where(Delivery.party_id == party_id).order_by(Delivery.id))).all()
        consent = await session.scalar(
            select(ServiceConsent).where(ServiceConsent.case_id == case_id,
                                         ServiceConsent.party_id == party_id)
            .order_by(ServiceConsent.id.desc()).limit(1))
    by_doc: dict[int, list[DocumentSlot]] = {}
    for slot in slots:
        by_doc.setdefault(slot.document_id, []).append(slot)
    to_sign = []
    for doc in docs:
        mine = [s for s in by_doc.get(doc.id, []) if s.party_id == party_id]
        if doc.status != "signing" or not mine or all(s.signed_at for s in mine):
            continue
        unsigned = [s for s in by_doc[doc.id] if s.signed_at is None]
        to_sign.append({
            "code": doc.code, "title": doc.title, "status": doc.status,
            "my_turn": bool(unsigned) and unsigned[0].party_id == party_id,
            "sign_page": f"/h5/sign/{doc.code}",
        })
    latest: dict[int, Delivery] = {}
    for row in deliveries:  # the latest attempt of each document
        latest[row.document_id] = row
    titles = {d.id: d for d in docs}
    delivered = [
        {
            "code": titles[row.document_id].code, "title": titles[row.document_id].title,
            "status": row.status, "sent_at": _iso(row.sent_at), "read_at": _iso(row.read_at),
            "acknowledged_at": _iso(row.acknowledged_at),
            "delivery_page": f"/h5/delivery/{titles[row.document_id].code}",
        }
        for row in latest.values() if row.document_id in titles
    ]
    return {
        "to_sign": to_sign,
        "delivered": delivered,
        "consent": {
            "text": DOCS["consent_text"],
            "consented_at": _iso(consent.consented_at) if consent else None,
        },
    }
