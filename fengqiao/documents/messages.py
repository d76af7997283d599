"""Messages between a party and the mediator of their case: each party has one thread of its
own (the other party never reads it); staff who handle the case read every thread and answer
in it from the console. Text, or an image kept like evidence (SHA-256 checked on the way
out; staff get the original, a party gets it without EXIF/GPS) in case_files as kind
"message". Every message is written to the case's audit log in the same transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from fengqiao.cases import audit
from fengqiao.documents import lookup
from fengqiao.documents.errors import Invalid, NotFound, Unsupported
from fengqiao.documents.evidence import (
    EvidenceRejected,
    delete_evidence,
    load_verified,
    prepare_evidence,
    save_evidence,
)
from fengqiao.documents.evidence_service import _reject, stripped
from fengqiao.documents.viewer import Viewer
from fengqiao.storage.db import Database
from fengqiao.storage.files import FileStore
from fengqiao.storage.models import CaseFile, CaseMessage, CaseParty

MAX_TEXT = 2000
TEXTS = {
    "empty": "请输入留言内容或选择一张图片。",
    "too_long": f"留言不能超过 {MAX_TEXT} 字。",
    "not_image": "只能发送图片（JPG、PNG、HEIC 等）。",
    "which_party": "请选择回复哪一位当事人。",
    "not_found": "留言不存在。",
    "mediator": "调解员",
}


class MessageService:
    def __init__(self, db: Database, files: FileStore, max_bytes: int) -> None:
        self.db, self.files, self.max_bytes = db, files, max_bytes

    async def thread(self, case_code: str, viewer: Viewer) -> dict[str, Any]:
        """A party's own thread; staff: every thread of the case (and its parties, to answer
        each), oldest first."""
        async with self.db.read() as session:
            case = await lookup.case_by_code(session, case_code)
            viewer.require_case(case.id, "case")
            query = select(CaseMessage).where(CaseMessage.case_id == case.id)
            if not viewer.is_staff:
                query = query.where(CaseMessage.party_id == viewer.party_id)
            rows = (await session.scalars(query.order_by(CaseMessage.id))).all()
            parties = await lookup.case_parties(session, case.id) if viewer.is_staff else []
        return {
            "messages": [describe(case.code, r) for r in rows],
            "parties": [{"id": p.id, "role": p.role, "name": p.name or ""} for p in parties],
        }

    async def post(self, case_code: str, viewer: Viewer, text: str, *,
                   party_id: int | None = None, image: bytes | None = None,
                   image_name: str | None = None) -> dict[str, Any]:
        """A party writes to the mediator; staff answer a party (``party_id``)."""
        text = (text or "").strip()
        if len(text) > MAX_TEXT:
            raise Invalid("too_long", TEXTS["too_long"])
        if not text and not image:
            raise Invalid("empty", TEXTS["empty"])
        async with self.db.read() as session:
            case = await lookup.case_by_code(session, case_code)
            viewer.require_case(case.id, "case")
            to = viewer.party_id if not viewer.is_staff else party_id
            party = await session.get(CaseParty, to) if to else None
            if party is None or party.case_id != case.id:
                raise Invalid("which_party", TEXTS["which_party"])
        record = await self._store_image(case.id, viewer, image, image_name) if image else None
        try:
            async with self.db.transaction() as session:
                file_id = None
                if record is not None:
                    row = CaseFile(case_id=case.id, kind="message",
                                   file_key=record["storage_key"], sha256=record["sha256"],
                                   mime=record["mime"], size=record["size"],
                                   original_name=record["display_name"],
                                   submitted_by=viewer.actor, visibility="parties")
                    session.add(row)
                    await session.flush()
                    file_id = row.id
                msg = CaseMessage(case_id=case.id, party_id=party.id,
                                  side="staff" if viewer.is_staff else "party",
                                  author=viewer.actor,
                                  author_name=viewer.name or TEXTS["mediator"],
                                  text=text, file_id=file_id)
                session.add(msg)
                await session.flush()
                await audit.append(session, case_id=case.id, actor=viewer.actor,
                                   action="message.sent",
                                   detail={"message": msg.id, "party_id": party.id,
                                           "side": msg.side, "file_id": file_id,
                                           "sha256": record["sha256"] if record else None,
                                           "chars": len(text)})
                return describe(case.code, msg)
        except BaseException:
            if record is not None:
                await delete_evidence(self.files, record)
            raise

    async def image(self, case_code: str, message_id: int, viewer: Viewer
                    ) -> tuple[bytes, str]:
        """(bytes, MIME) of a message's image, for the party of its thread or staff."""
        async with self.db.read() as session:
            case = await lookup.case_by_code(session, case_code)
            viewer.require_case(case.id, "case")
            msg = await session.get(CaseMessage, message_id)
            mine = msg is not None and (viewer.is_staff or msg.party_id == viewer.party_id)
            if msg is None or msg.case_id != case.id or not mine or msg.file_id is None:
                raise NotFound("message_not_found", TEXTS["not_found"])
            row = await session.get(CaseFile, msg.file_id)
        if row is None:
            raise NotFound("message_not_found", TEXTS["not_found"])
        data = await load_verified(self.files, {"storage_key": row.file_key,
                                                "sha256": row.sha256, "id": row.id})
        # As with evidence: the untouched original stays for staff; a party gets it without
        # GPS position or camera serial (a mediator's photo must not say where they live).
        mime = row.mime
        if not viewer.is_staff:
            data, mime = await asyncio.to_thread(stripped, data, mime)
        return data, mime

    async def _store_image(self, case_id: int, viewer: Viewer, data: bytes,
                           name: str | None) -> dict[str, Any]:
        try:
            prepared = await asyncio.to_thread(
                prepare_evidence, case_id=case_id, data=data, filename=name,
                uploaded_by=viewer.actor, max_bytes=self.max_bytes)
        except EvidenceRejected as exc:
            raise _reject(exc) from None
        # Only images (decoded at upload, so their size was checked and their metadata can
        # be removed for a party).
        if not prepared.record["thumbnail_key"]:
            raise Unsupported("not_image", TEXTS["not_image"])
        return await save_evidence(self.files, prepared)


def describe(case_code: str, m: CaseMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "party_id": m.party_id,
        "side": m.side,
        "author_name": m.author_name,
        "text": m.text,
        "image_url": (f"/api/v1/cases/{case_code}/messages/{m.id}/image"
                      if m.file_id is not None else None),
        "created_at": m.created_at.isoformat(),
    }
