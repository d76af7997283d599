"""The one audit log: append-only, hash-chained. Every change to a case goes through `append`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.storage import prepared
from fengqiao.storage.models import AuditEntry, utcnow

GENESIS = "0" * 64
# One advisory-lock key for the chain: appends are serialised so the chain never forks.
_PG_LOCK_KEY = 0x46510001
# Built once: constructing a statement with its values costs more than running it.
_TABLE = cast(Table, AuditEntry.__table__)  # declarative's annotation says FromClause
_HEAD = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def entry_hash(
    prev_hash: str,
    case_id: int | None,
    actor: str,
    action: str,
    detail: dict[str, Any],
    created_at: datetime,
) -> str:
    payload = json.dumps(
        [prev_hash, case_id, actor, action, detail, created_at.isoformat(timespec="microseconds")],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


async def append(
    session: AsyncSession,
    *,
    case_id: int | None,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Add an entry in the caller's transaction; it commits or rolls back with the change.
    Returns the entry's id."""
    conn = await session.connection()  # Core statements: the ORM layer adds nothing here
    return await conn.run_sync(
        append_sync, case_id=case_id, actor=actor, action=action, detail=detail, at=at
    )


def append_sync(
    conn: Connection,
    *,
    case_id: int | None,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """`append` for code already inside `run_sync`: one hop into SQLAlchemy's greenlet for a
    whole transaction instead of one per statement."""
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_LOCK, {"k": _PG_LOCK_KEY})
    prev = prepared.scalar(conn, _HEAD) or GENESIS
    created = at or utcnow()
    detail = detail or {}
    values = {
        "case_id": case_id,
        "actor": actor,
        "action": action,
        "detail": detail,
        "created_at": created,
        "prev_hash": prev,
        "hash": entry_hash(prev, case_id, actor, action, detail, created),
    }
    # A Core insert, and the id alone back: the ORM's unit of work, or even building an
    # AuditEntry to return, costs more than the row itself on this hot path (the filing).
    return int(prepared.scalar(conn, _INSERT, values))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_id: int | None = None
    reason: str | None = None


async def verify_chain(session: AsyncSession, batch: int = 5000) -> ChainReport:
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return ChainReport(ok=True, entries=count)
        for row in rows:
            if row.prev_hash != prev:
                return ChainReport(
                    False, count, row.id, "prev_hash does not match the entry before"
                )
            expected = entry_hash(
                row.prev_hash, row.case_id, row.actor, row.action, row.detail, row.created_at
            )
            if expected != row.hash:
                return ChainReport(False, count, row.id, "entry content does not match its hash")
            prev = row.hash
            count += 1
            last_id = row.id
