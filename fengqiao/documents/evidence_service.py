"""Evidence on a case: upload (API, WeChat, mediation room), list, open, comment (质证).

The bytes go through the file store under generated keys; case_files describes them. Every
change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fengqiao.cases import audit
from fengqiao.documents import lookup
from fengqiao.documents.errors import Forbidden, Invalid, NotFound, TooLarge, Unsupported
from fengqiao.documents.evidence import (
    EvidenceRejected,
    MetadataNotRemovable,
    PreparedEvidence,
    delete_evidence,
    load_verified,
    prepare_evidence,
    save_evidence,
    strip_metadata,
)
from fengqiao.documents.texts import ACCESS, DOCS, KIND_NAMES
from fengqiao.documents.viewer import Viewer, party_viewer
from fengqiao.storage.db import Database
from fengqiao.storage.files import FileStore
from fengqiao.storage.models import CaseFile, CaseParty, EvidenceComment

VISIBILITIES = ("parties", "mediator")
MAX_COMMENT = 2000


def stripped(data: bytes, mime: str) -> tuple[bytes, str]:
    """The file as another party may have it; an image that keeps its metadata is withheld."""
    try:
        return strip_metadata(data, mime)
    except MetadataNotRemovable:
        raise Unsupported("image_unreadable", DOCS["image_unreadable"]) from None


def _reject(exc: EvidenceRejected) -> Exception:
    if exc.code == "too_large":
        return TooLarge(exc.code, exc.message)
    if exc.code == "empty":
        return Invalid(exc.code, exc.message)
    return Unsupported(exc.code, exc.message)


class EvidenceService:
    def __init__(self, db: Database, files: FileStore, max_bytes: int) -> None:
        self.db = db
        self.files = files
        self.max_bytes = max_bytes

    async def upload(self, case_code: str, viewer: Viewer, data: bytes, filename: str | None,
                     *, visibility: str = "parties", channel: str = "api",
                     source_ref: str | None = None) -> dict[str, Any]:
        if visibility not in VISIBILITIES:
            raise Invalid("bad_visibility", DOCS["bad_visibility"])
        async with self.db.read() as session:
            case = await lookup.case_by_code(session, case_code)
            viewer.require_case(case.id, "evidence")
            if source_ref:
                existing = await session.scalar(
                    select(CaseFile).where(CaseFile.source_ref == source_ref))
                if existing is not None:
                    return self._describe(existing, [])
            if not source_ref and not viewer.is_staff and viewer.party_id is not None:
                # The same file uploaded again by the same party (a retry, a double tap) is the
                # evidence already there, not another copy on disk. (A WeChat message is its
                # own record, kept once per MsgId above.)
                same = await session.scalar(
                    select(CaseFile).where(
                        CaseFile.case_id == case.id, CaseFile.kind == "evidence",
                        CaseFile.party_id == viewer.party_id,  # type: ignore[attr-defined]
                        CaseFile.sha256 == hashlib.sha256(data).hexdigest(),
                    ).order_by(CaseFile.id).limit(1))
                if same is not None:
                    return self._describe(same, [])
        try:
            prepared: PreparedEvidence = await asyncio.to_thread(
                prepare_evidence, case_id=case.id, data=data, filename=filename,
                uploaded_by=viewer.actor, max_bytes=self.max_bytes)
        except EvidenceRejected as exc:
            raise _reject(exc) from None
        record = await save_evidence(self.files, prepared)
        try:
            async with self.db.transaction() as session:
                row = CaseFile(case_id=case.id, kind="evidence", file_key=record["storage_key"],
                               sha256=record["sha256"], mime=record["mime"],
                               size=record["size"], original_name=record["display_name"],
                               submitted_by=viewer.actor, visibility=visibility,
                               source_ref=source_ref)
                row.thumbnail_key = record["thumbnail_key"]  # type: ignore[attr-defined]
                row.width = record["width"]  # type: ignore[attr-defined]
                row.height = record["height"]  # type: ignore[attr-defined]
                row.party_id = viewer.party_id  # type: ignore[attr-defined]
                row.channel = channel  # type: ignore[attr-defined]
                session.add(row)
                await session.flush()
                await audit.append(session, case_id=case.id, actor=viewer.actor,
                                   action="evidence.added",
                                   detail={"file_id": row.id, "sha256": row.sha256,
                                           "mime": row.mime, "size": row.size,
                                           "visibility": visibility, "channel": channel})
                return self._describe(row, [])
        except IntegrityError:
            # The same WeChat message arrived twice at once: keep the first, drop our copy.
            await delete_evidence(self.files, record)
            async with self.db.read() as session:
                existing = await session.scalar(
                    select(CaseFile).where(CaseFile.source_ref == source_ref))
            if existing is None:
                raise
            return self._describe(existing, [])

    async def add_from_wechat(self, case_code: str, openid: str, data: bytes,
                              filename: str | None, *, msg_id: str,
                              channel: str = "wechat") -> dict[str, Any]:
        """An image or file a party sent in the WeChat chat; idempotent on the MsgId."""
        async with self.db.read() as session:
            case = await lookup.case_by_code(session, case_code)
            party = await lookup.party_for_openid(session, case.id, openid)
        if party is None:
            raise Forbidden("not_party", ACCESS["not_party"])
        viewer = party_viewer(case.id, party.id, party.name or "", frozenset({"evidence"}))
        return await self.upload(case_code, viewer, data, filename, channel=channel,
                                 source_ref=f"wx:{msg_id}")

    async def list_for(self, case_code: str, viewer: Viewer) -> list[dict[str, Any]]:
        async with self.db.read() as session:
            case = await lookup.case_by_code(session, case_code)
            viewer.require_case(case.id, "evidence")
            rows = (await session.scalars(
                select(CaseFile).where(CaseFile.case_id == case.id,
                                       CaseFile.kind == "evidence").order_by(CaseFile.id)
            )).all()
            visible = [r for r in rows if self._visible(r, viewer)]
            comments = (await session.scalars(
                select(EvidenceComment)
                .where(EvidenceComment.case_file_id.in_([r.id for r in visible] or [0]))
                .order_by(EvidenceComment.id))).all()
            names = {p.id: p for p in await lookup.case_parties(session, case.id)}
        by_file: dict[int, list[dict[str, Any]]] = {}
        for c in comments:
            by_file.setdefault(c.case_file_id, []).append(self._comment(c, names))
        # A party does not comment on (质证) their own evidence: the page offers no box there.
        return [self._describe(r, by_file.get(r.id, []), names)
                | {"can_comment": not self._own(r, viewer)} for r in visible]

    @staticmethod
    def _own(row: CaseFile, viewer: Viewer) -> bool:
        """The viewer is the party who submitted it (staff comment on any evidence)."""
        return not viewer.is_staff and row.party_id == viewer.party_id  # type: ignore[attr-defined]

    async def open(self, file_id: int, viewer: Viewer, *, thumbnail: bool = False
                   ) -> tuple[bytes, str, str]:
        """(bytes, MIME, display name); the original is checked against its SHA-256."""
        row = await self._row(file_id, viewer)
        if thumbnail:
            key = row.thumbnail_key  # type: ignore[attr-defined]
            if not key:
                raise NotFound("evidence_not_found", DOCS["evidence_not_found"])
            return await self.files.get(key), "image/jpeg", row.original_name or ""
        data = await load_verified(self.files, {"storage_key": row.file_key,
                                                "sha256": row.sha256, "id": row.id})
        # The untouched original (and its SHA-256) stays for the uploader, staff and the
        # court's package; the other party gets it without GPS position or camera serial.
        name, mime = row.original_name or "", row.mime
        if not viewer.is_staff and row.party_id != viewer.party_id:  # type: ignore[attr-defined]
            data, mime = stripped(data, mime)
            if mime != row.mime:  # a HEIC photo goes out as a JPEG: say so in its name
                name = f"{name.rsplit('.', 1)[0] or 'evidence'}.jpg"
        return data, mime, name

    async def comment(self, file_id: int, viewer: Viewer, text: str) -> dict[str, Any]:
        text = (text or "").strip()
        if not text or len(text) > MAX_COMMENT:
            raise Invalid("comment_empty", DOCS["comment_empty"])
        row = await self._row(file_id, viewer)
        if self._own(row, viewer):
            raise Forbidden("comment_own", DOCS["comment_own"])
        async with self.db.transaction() as session:
            comment = EvidenceComment(case_file_id=row.id, party_id=viewer.party_id,
                                      author=viewer.actor, text=text)
            session.add(comment)
            await session.flush()
            await audit.append(session, case_id=row.case_id, actor=viewer.actor,
                               action="evidence.commented",
                               detail={"file_id": row.id, "comment_id": comment.id})
            names = {p.id: p for p in await lookup.case_parties(session, row.case_id)}
            return self._comment(comment, names)

    async def _row(self, file_id: int, viewer: Viewer) -> CaseFile:
        async with self.db.read() as session:
            row = await session.get(CaseFile, file_id)
        # Recordings of the video room are served the same way, to staff only.
        if row is None or row.kind not in ("evidence", "recording") or (
            row.kind == "recording" and not viewer.is_staff
        ):
            raise NotFound("evidence_not_found", DOCS["evidence_not_found"])
        viewer.require_case(row.case_id, "evidence")
        if not self._visible(row, viewer):
            # Same answer as a missing file: a mediator-only file's existence is not shown.
            raise NotFound("evidence_not_found", DOCS["evidence_not_found"])
        return row

    @staticmethod
    def _visible(row: CaseFile, viewer: Viewer) -> bool:
        return (viewer.is_staff or row.visibility == "parties"
                or row.party_id == viewer.party_id)  # type: ignore[attr-defined]

    @staticmethod
    def _comment(c: EvidenceComment, names: dict[int, CaseParty]) -> dict[str, Any]:
        party = names.get(c.party_id) if c.party_id else None
        return {"id": c.id, "text": c.text, "author": c.author,
                "author_name": (party.name if party else None) or "调解员",
                "created_at": c.created_at.isoformat()}

    @staticmethod
    def _describe(row: CaseFile, comments: list[dict[str, Any]],
                  names: dict[int, CaseParty] | None = None) -> dict[str, Any]:
        party_id = row.party_id  # type: ignore[attr-defined]
        party = (names or {}).get(party_id) if party_id else None
        kind = row.mime.split("/", 1)[0] if row.mime.startswith(("image", "audio", "video")) \
            else ("pdf" if row.mime == "application/pdf" else "office")
        return {
            "id": row.id, "name": row.original_name, "mime": row.mime, "kind": kind,
            "kind_name": KIND_NAMES.get(kind, kind), "size": row.size, "sha256": row.sha256,
            "visibility": row.visibility, "submitted_by": row.submitted_by,
            "submitter_name": party.name if party else None, "party_id": party_id,
            "channel": row.channel,  # type: ignore[attr-defined]
            "width": row.width, "height": row.height,  # type: ignore[attr-defined]
            "has_thumbnail": bool(row.thumbnail_key),  # type: ignore[attr-defined]
            "created_at": row.created_at.isoformat(), "comments": comments,
        }
