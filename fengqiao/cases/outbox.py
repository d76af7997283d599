"""Sending the outbox: template messages (official account), subscribe messages (mini-program)
and, where switched on, SMS, by whichever channel of the person can carry the notice
(cases.reach), with retries and exponential backoff; delivery reports from
TEMPLATESENDJOBFINISH update the row.

Rows are claimed with a lease (status "sending" until `next_attempt_at`); a worker that dies
mid-send leaves a lease that expires, and another worker sends again: at least once, never lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update

from fengqiao.cases import texts
from fengqiao.cases.case_link import CaseLinks
from fengqiao.cases.reach import Route, Ways, choose, reach_of
from fengqiao.cases.rules import LOCAL_TZ, CaseConfig
from fengqiao.cases.subscriptions import KIND_OF_NOTICE, load_templates, refused, settle
from fengqiao.storage.db import Database
from fengqiao.storage.models import CaseParty, OutboxMessage, utcnow

log = logging.getLogger("fengqiao.cases.outbox")

# WeChat errcodes that no retry will fix: user unsubscribed or refused, bad openid/template.
PERMANENT_ERRCODES = frozenset({40003, 40036, 40037, 43004, 43101, 47003})
# Subscribe-message field limits by keyword type (thing: 20 chars, phrase: 5, ...).
FIELD_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "name": 10}


class SmsSender(Protocol):
    """fengqiao.documents.otp.SmsSender: one text to one phone."""

    async def send(self, phone: str, text: str) -> None: ...


class Notifier(Protocol):
    """What the outbox needs to reach a resident; fengqiao.bot.notifiers implements it over
    WeChat's official account and mini-program."""

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], *, url: str | None = None
    ) -> int | str: ...

    async def send_subscribe(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str | None = None
    ) -> Any: ...


class Inbox(Protocol):
    """Where notices go while no WeChat is configured: fengqiao.documents.notify.LogNotifier,
    the same path as the document messages, writing each to ``<data dir>/dev-messages.txt``."""

    async def send_link(
        self, to: Any, kind: str, title: str, text: str, url: str, *, code: str = ""
    ) -> str | None: ...


# The row's status once a notice has gone to the development inbox instead of WeChat.
DEV_INBOX_STATUS = "dev_inbox"


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    openid: str
    payload: dict[str, Any]
    attempts: int
    kind: str = "status"
    case_id: int | None = None


def _limit(key: str, value: str) -> str:
    for prefix, size in FIELD_LIMITS.items():
        if key.startswith(prefix) and len(value) > size:
            return value[: size - 1] + "…" if size > 2 else value[:size]
    return value


def template_data(fields: dict[str, str], payload: dict[str, Any]) -> dict[str, str]:
    """Map our payload onto the template's keywords as configured in notifications.toml."""
    when = payload.get("time", "")
    try:
        when = datetime.fromisoformat(when).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        pass
    values = {
        "code": payload.get("code", ""),
        "status": payload.get("status_name", ""),
        "time": when,
        "remark": payload.get("remark", ""),
    }
    return {fields[k]: _limit(fields[k], str(v)) for k, v in values.items() if k in fields}


def is_permanent(exc: BaseException) -> bool:
    return getattr(exc, "errcode", None) in PERMANENT_ERRCODES


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        notifier: Notifier | None,
        config: CaseConfig,
        sms: SmsSender | None = None,
        *,
        links: CaseLinks | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self.db = db
        self.notifier = notifier
        # A notice naming its party carries that party's case link, minted when it is sent.
        self.links = links
        # Without WeChat (development, the demo) notices go to the inbox, not nowhere.
        self.inbox = inbox if notifier is None else None
        self.mp = config.notifications.get("mp", {})
        # SMS carries notices only where the operator switched it on ([sms] notices).
        self.sms = sms if config.notifications.get("sms", {}).get("notices") else None
        self.ways = Ways(
            templates=load_templates(config.notifications),
            mp_ready=bool(self.mp.get("status_template_id")),
            sms_ready=self.sms is not None,
        )
        self.max_attempts = int(config.outbox("max_attempts", 8))
        self.backoff = config.outbox("backoff_seconds", 30)
        self.backoff_max = config.outbox("backoff_max_seconds", 3600)
        self.lease = config.outbox("lease_seconds", 120)

    def retry_delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_max))

    async def claim(self, limit: int = 20, now: datetime | None = None) -> list[Claimed]:
        now = now or utcnow()
        async with self.db.transaction() as session:
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status.in_(("pending", "sending")),
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = (await session.scalars(query)).all()
            claimed = []
            for row in rows:
                # Compare-and-set on the attempt count: of two workers that read the same row
                # (SQLite has no SKIP LOCKED) only one wins the claim.
                won = await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.attempts == row.attempts)
                    .values(
                        status="sending",
                        attempts=row.attempts + 1,
                        next_attempt_at=now + timedelta(seconds=self.lease),
                    )
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount == 1:
                    claimed.append(
                        Claimed(
                            row.id,
                            row.channel,
                            row.openid,
                            dict(row.payload),
                            row.attempts + 1,
                            row.kind,
                            row.case_id,
                        )
                    )
            return claimed

    async def run_once(self, limit: int = 20, now: datetime | None = None) -> int:
        """Send what is due; returns how many rows were tried."""
        if self.notifier is None and self.inbox is None:
            return 0
        batch = await self.claim(limit, now)
        for item in batch:
            item = self.with_link(item, generation=await self._link_generation(item))
            if self.notifier is None:
                await self._write_to_inbox(item)
            else:
                await self._send(item, now)
        return len(batch)

    async def _link_generation(self, item: Claimed) -> int:
        party_id = item.payload.get("party_id")
        if self.links is None or not isinstance(party_id, int):
            return 0
        async with self.db.read() as session:
            found = await session.scalar(
                select(CaseParty.link_generation).where(CaseParty.id == party_id)
            )
        return int(found or 0)

    def with_link(self, item: Claimed, *, generation: int = 0) -> Claimed:
        """The notice with its party's own case link (of the party's current link
        ``generation``) in place of the public progress page."""
        party_id = item.payload.get("party_id")
        if self.links is None or item.case_id is None or not isinstance(party_id, int):
            return item
        url = self.links.for_party(
            case_id=item.case_id, case_code=str(item.payload.get("code", "")), party_id=party_id,
            generation=generation,
        )
        return Claimed(item.id, item.channel, item.openid, {**item.payload, "url": url},
                       item.attempts, item.kind, item.case_id)

    async def _write_to_inbox(self, item: Claimed) -> None:
        """No WeChat configured: the notice, as the person would have received it, goes to
        the development inbox, and the row says so instead of staying pending."""
        assert self.inbox is not None
        async with self.db.transaction() as session:
            to = await reach_of(session, item.channel, item.openid)
        payload = item.payload
        await self.inbox.send_link(
            to, KIND_OF_NOTICE.get(item.kind, "progress"), str(payload.get("status_name", "")),
            str(payload.get("remark", "")), str(payload.get("url", "")),
            code=str(payload.get("code", "")))
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item.id, OutboxMessage.attempts == item.attempts)
                .values(status=DEV_INBOX_STATUS, sent_at=utcnow(),
                        last_error="WeChat not configured: written to dev-messages.txt")
            )

    async def _send(self, item: Claimed, now: datetime | None) -> None:
        """Send one notice by the person's channel that can carry it (cases.reach): a
        subscribe message uses one of the person's grants, none left falls back to the
        official account or SMS, and the row says which way it went and why."""
        assert self.notifier is not None
        at = now or utcnow()
        kind = KIND_OF_NOTICE.get(item.kind, "progress")
        async with self.db.transaction() as session:
            found = await reach_of(session, item.channel, item.openid)
            route = await choose(
                session, found, kind, self.ways, used_by=f"outbox:{item.id}", now=at
            )
        values: dict[str, Any]
        if isinstance(route, str):
            nothing = not (self.ways.templates or self.ways.mp_ready or self.ways.sms_ready)
            values = {
                "status": "skipped" if nothing else "undeliverable",
                "last_error": "no template id configured" if nothing else route[:255],
            }
        else:
            try:
                msgid = await self._deliver(route, item.payload)
                values = {
                    "status": "sent",
                    "channel": "sms" if route.channel == "phone" else route.channel,
                    "openid": route.address,
                    "fallback": route.fallback,
                    "msgid": str(msgid) if msgid else None,
                    "sent_at": utcnow(),
                    "last_error": None,
                }
            except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
                # A subscription WeChat says is not there: try at once another way.
                other_way = route.grant_id is not None and refused(exc)
                if route.grant_id is not None:
                    async with self.db.transaction() as session:
                        await settle(session, route.grant_id, exc)
                final = (is_permanent(exc) and not other_way) or item.attempts >= self.max_attempts
                values = {
                    "status": "failed" if final else "pending",
                    "next_attempt_at": at if other_way else at + self.retry_delay(item.attempts),
                    "last_error": f"{type(exc).__name__}: {exc}"[:255],
                }
                log.warning(
                    "notice not sent",
                    extra={"outbox_id": item.id, "attempt": item.attempts, "final": final},
                )
        async with self.db.transaction() as session:
            # Only if our lease still holds: a slower twin must not overwrite a newer attempt.
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item.id, OutboxMessage.attempts == item.attempts)
                .values(**values)
            )

    async def _deliver(self, route: Route, payload: dict[str, Any]) -> int | str | None:
        assert self.notifier is not None
        if route.channel == "wxa":
            assert route.template is not None
            data = template_data(route.template.fields, payload)
            answer = await self.notifier.send_subscribe(
                route.address, route.template.id, data, page=route.template.page_for(payload)
            )
            return answer if isinstance(answer, int | str) else None
        if route.channel == "mp":
            data = template_data(dict(self.mp.get("fields", {})), payload)
            return await self.notifier.send_template(
                route.address,
                str(self.mp.get("status_template_id", "")),
                data,
                url=payload.get("url") or None,
            )
        assert self.sms is not None
        await self.sms.send(route.address, sms_text(payload))
        return None


def sms_text(payload: dict[str, Any]) -> str:
    return texts.SMS_NOTICE.format(
        status=payload.get("status_name", ""),
        code=payload.get("code", ""),
        remark=payload.get("remark", ""),
        url=payload.get("url", ""),
    ).strip()


async def handle_template_event(db: Database, msg_id: int | str, status: str) -> bool:
    """TEMPLATESENDJOBFINISH: record WeChat's delivery status ("success",
    "failed:user block", "failed: system failed") on the message; False if unknown."""
    async with db.transaction() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.msgid == str(msg_id), OutboxMessage.channel == "mp")
            .values(delivery=str(status)[:48])
        )
        return bool(result.rowcount)
