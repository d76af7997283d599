"""Which channel a notice to a person goes through, and why.

A person's channels (cases.identity) are tried in order: the mini-program's subscribe message
when a template for the notice's kind is configured and the person has an unused grant for it
(one is used per message), then the official account, then SMS to a verified phone when
notices by SMS are switched on. Each channel is written to only with its own address: a
mini-program openid never goes to the official account's API, nor the reverse. What was
skipped, and why, is said on the route (``fallback``) or, when nothing is left, as the reason
the notice could not be delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.cases import identity, subscriptions
from fengqiao.cases.identity import NAMES, Channel
from fengqiao.cases.subscriptions import TITLES, Template


@dataclass(frozen=True)
class Reach:
    """A person (None for someone known only by one address, e.g. a staff openid) and the
    channels to them, in the order notices prefer."""

    person_id: int | None
    channels: tuple[Channel, ...]

    @property
    def primary(self) -> Channel:
        return self.channels[0]


@dataclass(frozen=True)
class Route:
    channel: str  # wxa, mp, phone
    address: str
    template: Template | None = None  # the subscribe template (wxa)
    grant_id: int | None = None  # the grant this message uses (wxa)
    fallback: str | None = None  # "小程序→公众号：…" when an earlier channel was skipped


@dataclass(frozen=True)
class Ways:
    """What can be sent at all: subscribe templates by kind, whether the official account has
    a way to send this notice, whether notices may go by SMS."""

    templates: dict[str, Template]
    mp_ready: bool
    sms_ready: bool


async def reach_of(session: AsyncSession, channel: str, address: str) -> Reach:
    """The person behind (channel, address) with all their channels; the address alone when
    it is nobody's we know."""
    person_id = await identity.person_of(session, channel, address)
    if person_id is None:
        return Reach(None, (Channel(channel, address),))
    found = await identity.reachable(session, person_id)
    return Reach(person_id, tuple(found) or (Channel(channel, address),))


async def choose(
    session: AsyncSession,
    reach: Reach,
    kind: str,
    ways: Ways,
    *,
    used_by: str,
    now: datetime,
) -> Route | str:
    """The route for a notice of ``kind`` (progress, booking, reminder, signing, delivery),
    or the reason, in Chinese for the case page, that no channel can carry it."""
    reasons: list[str] = []
    for channel in reach.channels:
        if channel.kind == "wxa":
            template = ways.templates.get(kind)
            if template is None:
                reasons.append(f"小程序未配置「{TITLES.get(kind, kind)}」订阅模板")
                continue
            grant = await subscriptions.take(session, channel.address, template.id, used_by, now)
            if grant is None:
                reasons.append("小程序订阅消息授权已用完")
                continue
            return _route(reach, channel, reasons, template, grant)
        if channel.kind == "mp":
            if not ways.mp_ready:
                reasons.append("公众号未配置通知模板")
                continue
            return _route(reach, channel, reasons)
        if channel.kind == "phone":
            if not ways.sms_ready:
                reasons.append("未开通短信通知")
                continue
            return _route(reach, channel, reasons)
    return "无法送达：" + ("；".join(reasons) if reasons else "没有可联系的渠道")


def _route(
    reach: Reach,
    channel: Channel,
    reasons: list[str],
    template: Template | None = None,
    grant: int | None = None,
) -> Route:
    fallback = None
    if reasons:
        fallback = f"{NAMES[reach.primary.kind]}→{NAMES[channel.kind]}：{reasons[0]}"[:128]
    return Route(channel.kind, channel.address, template, grant, fallback)
