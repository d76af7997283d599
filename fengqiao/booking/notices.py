"""What booking tells people, and the one call it needs from the notification outbox.

Booking writes notices inside its own transaction (so a rolled-back change announces nothing)
and schedules reminders as outbox rows due 24 h and 1 h before the start. The outbox of the
case-lifecycle branch (`notification_outbox`, sent by `fengqiao.cases.outbox`) is used when it
exists; `OutboxSink` only needs its model's columns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.storage import models

log = logging.getLogger("fengqiao.booking.notices")


@dataclass(frozen=True)
class Notice:
    case_id: int
    channel: str  # mp (official-account template) or wxa (mini-program subscribe)
    openid: str
    kind: str  # booking, reminder
    payload: dict[str, Any]  # code, status_name, time, remark, url: the outbox's fields
    send_at: datetime
    dedupe_key: str


class NoticeSink(Protocol):
    async def queue(self, session: AsyncSession, notices: list[Notice]) -> int:
        """Add notices in the caller's transaction; the same dedupe_key is queued once."""
        ...

    async def withdraw(self, session: AsyncSession, key_prefix: str) -> int:
        """Stop reminders not yet sent whose dedupe_key starts with key_prefix."""
        ...


class OutboxSink:
    """Writes into the case lifecycle's notification_outbox (fengqiao.cases.outbox sends it)."""

    def __init__(self) -> None:
        self.model: Any = models.OutboxMessage  # type: ignore[attr-defined]

    async def queue(self, session: AsyncSession, notices: list[Notice]) -> int:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        queued = 0
        for n in notices:
            stmt = (
                insert(self.model)
                .values(
                    case_id=n.case_id,
                    channel=n.channel,
                    openid=n.openid,
                    kind=n.kind,
                    payload=n.payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=n.send_at,
                    dedupe_key=n.dedupe_key,
                    created_at=n.send_at,
                )
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(self.model.id)
            )
            queued += (await session.execute(stmt)).scalar_one_or_none() is not None
        return queued

    async def withdraw(self, session: AsyncSession, key_prefix: str) -> int:
        result = await session.execute(
            update(self.model)
            .where(
                self.model.dedupe_key.startswith(key_prefix, autoescape=True),
                self.model.status == "pending",
            )
            .values(status="cancelled", last_error="booking changed")
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class MemorySink:
    """Keeps notices in memory: tests, and deployments before the outbox exists."""

    notices: list[Notice] = field(default_factory=list)
    withdrawn: set[str] = field(default_factory=set)

    async def queue(self, session: AsyncSession, notices: list[Notice]) -> int:
        known = {n.dedupe_key for n in self.notices}
        fresh = [n for n in notices if n.dedupe_key not in known]
        self.notices.extend(fresh)
        for n in fresh:
            log.info("notice %s to %s:%s", n.kind, n.channel, n.openid[:4] + "***")
        return len(fresh)

    async def withdraw(self, session: AsyncSession, key_prefix: str) -> int:
        hit = {n.dedupe_key for n in self.notices if n.dedupe_key.startswith(key_prefix)}
        self.withdrawn |= hit
        return len(hit)

    def live(self) -> list[Notice]:
        return [n for n in self.notices if n.dedupe_key not in self.withdrawn]


def default_sink() -> NoticeSink:
    if hasattr(models, "OutboxMessage"):
        return OutboxSink()
    return MemorySink()
