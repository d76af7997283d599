"""Rows of the documents tables as the document services read and write them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from fengqiao.cases import codes
from fengqiao.documents.errors import NotFound
from fengqiao.documents.texts import DOCS
from fengqiao.documents.viewer import Viewer
from fengqiao.storage.models import Document, DocumentEvent, DocumentSlot, utcnow

STATUS_NAMES = {"draft": "草稿", "signing": "签署中", "sealed": "已生效", "void": "已作废"}


async def load_doc(session: Any, code: str) -> Document:
    canonical = codes.normalise_document(code) or code.strip()
    doc = await session.scalar(select(Document).where(Document.code == canonical))
    if doc is None:
        raise NotFound("document_not_found", DOCS["document_not_found"])
    return doc


async def slots_of(session: Any, doc_id: int) -> list[DocumentSlot]:
    rows = await session.scalars(
        select(DocumentSlot).where(DocumentSlot.document_id == doc_id)
        .order_by(DocumentSlot.position))
    return list(rows.all())


async def events_of(session: Any, doc_id: int) -> list[DocumentEvent]:
    rows = await session.scalars(
        select(DocumentEvent).where(DocumentEvent.document_id == doc_id)
        .order_by(DocumentEvent.id))
    return list(rows.all())


async def add_event(session: Any, doc: Document, event: str, viewer: Viewer | None, *,
                    actor: str | None = None, doc_sha256: str | None = None,
                    detail: dict[str, Any] | None = None, at: datetime | None = None
                    ) -> DocumentEvent:
    row = DocumentEvent(
        document_id=doc.id, event=event,
        actor=actor or (viewer.name if viewer and viewer.name else
                        viewer.actor if viewer else "system"),
        party_id=viewer.party_id if viewer else None,
        ip=viewer.ip if viewer else None,
        user_agent=viewer.user_agent if viewer else None,
        doc_sha256=doc_sha256 if doc_sha256 is not None else doc.sha256,
        detail=detail or {}, created_at=at or utcnow())
    session.add(row)
    await session.flush()
    return row


async def has_opened(session: Any, doc: Document, viewer: Viewer) -> bool:
    """Did this signer open the issued text of ``doc`` (the version they would sign)?"""
    rows = await session.scalars(select(DocumentEvent).where(
        DocumentEvent.document_id == doc.id, DocumentEvent.event == "opened"))
    for row in rows.all():
        detail = row.detail or {}
        mine = (detail.get("by") == viewer.actor if viewer.is_staff
                else row.party_id == viewer.party_id and viewer.party_id is not None)
        if mine and detail.get("text_sha256") == doc.original_sha256:
            return True
    return False


def slot_of(viewer: Viewer, slots: list[DocumentSlot]) -> DocumentSlot | None:
    for slot in slots:
        if viewer.is_staff and slot.role == "mediator" \
                and slot.signer_key == f"staff:{viewer.staff_id}":
            return slot
        if not viewer.is_staff and slot.role == "party" and slot.party_id == viewer.party_id:
            return slot
    return None


def next_slot(slots: list[DocumentSlot]) -> DocumentSlot | None:
    return next((s for s in slots if s.signed_at is None), None)


def page_url(public_url: str, page: str, doc_code: str, token: str | None = None) -> str:
    url = f"{public_url.rstrip('/')}/h5/{page}/{quote(doc_code, safe='')}"
    return url + (f"?t={token}" if token else "")
