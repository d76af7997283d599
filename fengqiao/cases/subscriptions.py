"""Mini-program subscribe messages: one template per kind of notice, the grants residents give.

WeChat lets a mini-program send a subscribe message only after the user accepted that
template in ``wx.requestSubscribeMessage``; a one-time acceptance allows one message. The
templates (id, keyword fields, page path) are configured per kind in
``config/notifications.toml`` ``[wxa.templates.<kind>]``; the client asks
``GET /api/v1/me/subscriptions`` which ids to request and reports what the user answered to
``POST /api/v1/me/subscriptions``; each answer is a row here, and sending a message uses one
accepted row (``take``), or none is left and the notice goes by another channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.storage.db import Database
from fengqiao.storage.models import SubscriptionGrant, utcnow
from fengqiao.tokens import PREFIX

KINDS = ("progress", "booking", "reminder", "signing", "delivery")
# A case sends a resident a handful of notices of one kind; a client reporting "accept" in a
# loop must not grow the table without end. Past this many unused grants, more are not stored.
MAX_UNUSED_GRANTS = 20
TITLES = {
    "progress": "案件进度通知",
    "booking": "调解预约通知",
    "reminder": "调解开始提醒",
    "signing": "文书签署通知",
    "delivery": "文书送达通知",
}
# What the outbox's kinds of notice are, as templates.
KIND_OF_NOTICE = {
    "status": "progress",
    "revisit": "progress",
    "booking": "booking",
    "reminder": "reminder",
    "signing": "signing",
    "delivery": "delivery",
}
TOKEN_PREFIX = PREFIX + "."  # every link token (fengqiao.tokens) starts so
ANSWERS = ("accept", "reject", "ban", "filter")  # what wx.requestSubscribeMessage returns


@dataclass(frozen=True)
class Template:
    kind: str
    id: str
    page: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def page_for(self, payload: dict[str, Any]) -> str:
        """The page path with what the page needs: the case code, the link's token (``t``)
        and document code (``doc``) taken from the notice's link."""
        if not self.page:
            return ""
        url = urlsplit(str(payload.get("url") or ""))
        token = (parse_qs(url.query).get("t") or [""])[0]
        # /h5/sign/{doc}?t=…, /h5/delivery/{doc}?t=…, /h5/booking/{token}
        parts = url.path.rstrip("/").split("/")
        last = parts[-1] if len(parts) > 3 else ""
        if not token and last.startswith(TOKEN_PREFIX):
            token, last = last, ""
        values = {"code": str(payload.get("code", "")), "t": token, "doc": last}
        return self.page.format_map({k: quote(v, safe="") for k, v in values.items()})


def load_templates(notifications: dict[str, Any]) -> dict[str, Template]:
    """The configured templates by kind; a kind without an id is left out (not sent)."""
    found: dict[str, Template] = {}
    for kind, conf in dict(notifications.get("wxa", {}).get("templates", {})).items():
        if kind in KINDS and str(conf.get("id", "")):
            found[kind] = Template(
                kind, str(conf["id"]), str(conf.get("page", "")), dict(conf.get("fields", {}))
            )
    return found


async def take(
    session: AsyncSession, openid: str, template_id: str, used_by: str, now: datetime
) -> int | None:
    """Use one accepted, unused grant of this template; its id, or None when none is left.
    Compare-and-set on ``used_at``: two senders never use the same grant."""
    for _ in range(3):
        grant = await session.scalar(
            select(SubscriptionGrant.id)
            .where(
                SubscriptionGrant.openid == openid,
                SubscriptionGrant.template_id == template_id,
                SubscriptionGrant.answer == "accept",
                SubscriptionGrant.used_at.is_(None),
            )
            .order_by(SubscriptionGrant.id)
            .limit(1)
        )
        if grant is None:
            return None
        won = await session.execute(
            update(SubscriptionGrant)
            .where(SubscriptionGrant.id == grant, SubscriptionGrant.used_at.is_(None))
            .values(used_at=now, used_by=used_by[:64])
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) == 1:
            return int(grant)
    return None


async def give_back(session: AsyncSession, grant_id: int) -> None:
    """WeChat did not take the message: the grant was not used after all."""
    await session.execute(
        update(SubscriptionGrant)
        .where(SubscriptionGrant.id == grant_id)
        .values(used_at=None, used_by=None)
        .execution_options(synchronize_session=False)
    )


# WeChat's answer when the resident holds no subscription to the template (never accepted,
# used up, or switched off in WeChat's settings), whatever our rows say: a client can report
# one "accept" many times, so a row is only our belief.
REFUSED_ERRCODES = frozenset({43101})


def refused(exc: BaseException) -> bool:
    return getattr(exc, "errcode", None) in REFUSED_ERRCODES


async def settle(session: AsyncSession, grant_id: int, exc: BaseException) -> None:
    """WeChat did not take the message sent on ``grant_id``. Give the grant back, unless WeChat
    said the resident has no subscription to that template: then the grant stays used and so
    does every other we counted for it, so the next notice goes another way instead of
    spending a dead grant again and again."""
    if not refused(exc):
        await give_back(session, grant_id)
        return
    grant = await session.get(SubscriptionGrant, grant_id)
    if grant is None:
        return
    await session.execute(
        update(SubscriptionGrant)
        .where(
            SubscriptionGrant.openid == grant.openid,
            SubscriptionGrant.template_id == grant.template_id,
            SubscriptionGrant.used_at.is_(None),
        )
        .values(used_at=utcnow(), used_by="refused:43101")
        .execution_options(synchronize_session=False)
    )


class SubscriptionsMixin:
    """The case service's side: what the client is to request, and what the resident said."""

    db: Database
    config: Any

    @property
    def templates(self) -> dict[str, Template]:
        return load_templates(self.config.notifications)

    async def subscriptions_left(self, openid: str) -> dict[str, int]:
        """Accepted, unused grants per configured kind."""
        templates = self.templates
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(SubscriptionGrant.template_id, func.count())
                    .where(
                        SubscriptionGrant.openid == openid,
                        SubscriptionGrant.answer == "accept",
                        SubscriptionGrant.used_at.is_(None),
                    )
                    .group_by(SubscriptionGrant.template_id)
                )
            ).all()
        counts = {str(t): int(n) for t, n in rows}
        return {kind: counts.get(t.id, 0) for kind, t in templates.items()}

    async def record_grants(self, openid: str, answers: dict[str, str]) -> int:
        """Store what wx.requestSubscribeMessage returned (template id -> accept, reject, ban,
        filter), with the time; ids not configured here are ignored. Returns rows stored."""
        kind_of = {t.id: t.kind for t in self.templates.values()}
        now = utcnow()
        stored = 0
        async with self.db.transaction() as session:
            unused = dict((await session.execute(
                select(SubscriptionGrant.template_id, func.count())
                .where(SubscriptionGrant.openid == openid, SubscriptionGrant.used_at.is_(None))
                .group_by(SubscriptionGrant.template_id))).tuples().all())
            for template_id, answer in answers.items():
                if template_id not in kind_of or answer not in ANSWERS:
                    continue
                if unused.get(template_id, 0) >= MAX_UNUSED_GRANTS:
                    continue
                unused[template_id] = unused.get(template_id, 0) + 1
                session.add(
                    SubscriptionGrant(
                        openid=openid,
                        template_id=template_id,
                        kind=kind_of[template_id],
                        answer=answer,
                        granted_at=now,
                    )
                )
                stored += 1
        return stored
