"""What booking tells people, and the one call it needs from the notification outbox.

`BookingNotices` says what is sent to whom when a booking changes (parties through their
WeChat channel with their party link, the mediator on the official account with the console
link) and queues reminders; the sinks below write what it says.

Booking writes notices inside its own transaction (so a rolled-back change announces nothing)
and schedules reminders as outbox rows due 24 h and 1 h before the start. The outbox of the
case-lifecycle branch (`notification_outbox`, sent by `fengqiao.cases.outbox`) is used when it
exists; `OutboxSink` only needs its model's columns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.booking import texts
from fengqiao.booking.config import BookingConfig
from fengqiao.booking.links import PartyLinks
from fengqiao.booking.views import local_text, place_text
from fengqiao.storage import models

if TYPE_CHECKING:
    from fengqiao.booking.store import BookingTx
    from fengqiao.storage.models import Booking, Case, Mediator

log = logging.getLogger("fengqiao.booking.notices")


@dataclass(frozen=True)
class Notice:
    case_id: int
    # mp (official-account template) or wxa (mini-program subscribe); the outbox may send it
    # by another channel of the same person (fengqiao.cases.reach) and says so on the row.
    channel: str
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


class BookingNotices:
    """What is sent to whom. Notices join the change's transaction (`tx.queue`); each has a
    dedupe key `booking:{id}:v{version}:…`, so a retried change sends nothing twice and a
    change of time or an end withdraws what is still waiting (`withdraw`)."""

    def __init__(
        self, config: BookingConfig, links: PartyLinks, clock: Callable[[], datetime]
    ) -> None:
        self.config = config
        self.links = links
        self.clock = clock

    def payload(
        self,
        case: Case,
        remark: str,
        when: datetime | None,
        url: str,
        status_name: str = texts.BOOKING_STATUS,
    ) -> dict[str, Any]:
        return {
            "code": case.code,
            "status": case.status,
            "status_name": status_name,
            "event": "booking",
            "time": (when or self.clock()).isoformat(timespec="seconds"),
            "remark": remark,
            "url": url,
        }

    async def withdraw(self, tx: BookingTx, booking: Booking) -> None:
        """Stop what still waits for this booking: reminders of a time that no longer holds."""
        await tx.withdraw(f"booking:{booking.id}:")

    async def parties(
        self,
        tx: BookingTx,
        booking: Booking,
        case: Case,
        event: str,
        remark: str,
        now: datetime,
        skip: int | None = None,
    ) -> None:
        """Every party WeChat can reach (but `skip`, who made the change) gets `remark`."""
        notices = [
            Notice(
                case_id=case.id,
                channel=r.channel,
                openid=r.openid,
                kind="booking",
                payload=self.payload(
                    case,
                    remark,
                    booking.starts_at,
                    self.links.url(booking.case_id, r.party.case_party_id),
                ),
                send_at=now,
                dedupe_key=f"booking:{booking.id}:v{booking.version}:{event}:{r.channel}:{r.openid}",
            )
            for r in await tx.recipients(booking.id)
            if r.party.id != skip
        ]
        await tx.queue(notices)

    async def mediator(
        self, tx: BookingTx, booking: Booking, case: Case, mediator: Mediator, now: datetime
    ) -> None:
        """A time was fixed: the mediator is asked to accept or decline."""
        if not mediator.openid or booking.starts_at is None:
            return
        remark = texts.N_MEDIATOR_NEW.format(
            code=case.code, when=local_text(booking.starts_at, self.config)
        )
        url = self.links.console_url(booking.id)
        notice = Notice(
            case_id=case.id,
            channel="mp",
            openid=mediator.openid,
            kind="booking",
            payload=self.payload(case, remark, booking.starts_at, url),
            send_at=now,
            dedupe_key=f"booking:{booking.id}:v{booking.version}:mediator:mp:{mediator.openid}",
        )
        await tx.queue([notice])

    async def reminders(
        self, tx: BookingTx, booking: Booking, case: Case, mediator: Mediator, now: datetime
    ) -> None:
        """Reminders to the parties and the mediator, due the configured hours before."""
        assert booking.starts_at is not None
        when = local_text(booking.starts_at, self.config)
        place = place_text(booking)
        targets: list[tuple[str, str, str, str]] = [
            (
                r.channel,
                r.openid,
                texts.N_REMINDER.format(when=when, place=place, mediator=mediator.name),
                self.links.url(booking.case_id, r.party.case_party_id),
            )
            for r in await tx.recipients(booking.id)
        ]
        if mediator.openid:
            targets.append(
                (
                    "mp",
                    mediator.openid,
                    texts.N_MEDIATOR_REMINDER.format(code=case.code, when=when, place=place),
                    self.links.console_url(booking.id),
                )
            )
        notices = []
        for hours in self.config.reminders_hours:
            due = booking.starts_at - timedelta(hours=hours)
            if due <= now:
                continue  # booked at short notice: that reminder's moment has passed
            for channel, openid, remark, url in targets:
                notices.append(
                    Notice(
                        case_id=case.id,
                        channel=channel,
                        openid=openid,
                        kind="reminder",
                        payload=self.payload(
                            case, remark, booking.starts_at, url, texts.REMINDER_STATUS
                        ),
                        send_at=due,
                        dedupe_key=(
                            f"booking:{booking.id}:v{booking.version}:remind{hours:g}h:"
                            f"{channel}:{openid}"
                        ),
                    )
                )
        await tx.queue(notices)
