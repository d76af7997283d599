"""Is an uploaded PDF the final version? A copy cut before the seal (or before any later
signature) is a valid PDF whose signatures all check out, so signature validity alone
would show it as complete. Every copy of one of our documents starts with the issued file
(revision 0), so the archive is found by the SHA-256 of the upload's prefixes that end at
an ``%%EOF``; the upload is then compared with the archived final file."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from fengqiao.documents import records
from fengqiao.documents.texts import VERIFY
from fengqiao.storage.models import Document

_EOF = re.compile(rb"%%EOF(\r\n|\r|\n)?")


def prefix_hashes(pdf: bytes) -> set[str]:
    """SHA-256 of every prefix of ``pdf`` that ends a revision (with and without EOL)."""
    out = set()
    for match in _EOF.finditer(pdf):
        out.add(hashlib.sha256(pdf[:match.start() + 5]).hexdigest())
        out.add(hashlib.sha256(pdf[:match.end()]).hexdigest())
    return out


@dataclass(frozen=True)
class FinalCheck:
    final: bool
    message: str
    document: dict[str, Any] | None


async def archived_document(session: Any, pdf: bytes) -> Document | None:
    hashes = prefix_hashes(pdf)
    if not hashes:
        return None
    return await session.scalar(select(Document).where(
        Document.original_sha256.in_(hashes)).order_by(Document.id.desc()))


def judge(upload: bytes, doc: Document | None, archived: bytes | None, slots: int,
          signatures_in_upload: int) -> FinalCheck:
    """Compare ``upload`` with the archived current file ``archived`` of ``doc``."""
    if doc is None or archived is None:
        return FinalCheck(False, VERIFY["not_archived"], None)
    info = {"code": doc.code, "title": doc.title, "status": doc.status,
            "status_name": records.STATUS_NAMES.get(doc.status, doc.status),
            "signatures": signatures_in_upload, "required": slots}
    sealed = doc.status == "sealed"
    if upload == archived and sealed:
        return FinalCheck(True, VERIFY["final"].format(m=slots), info)
    if archived.startswith(upload):  # an earlier revision of the archived file
        key = "not_final" if sealed else "not_final_signing"
        return FinalCheck(False, VERIFY[key].format(m=slots, n=signatures_in_upload), info)
    return FinalCheck(False, VERIFY["differs_from_final"], info)
