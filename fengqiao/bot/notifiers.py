"""The WeChat side of the notices the domain sends: the outbox's ``Notifier`` (fengqiao.cases.
outbox) and the documents' link ``Notifier`` (fengqiao.documents.notify), over the official
account's and the mini-program's API clients."""

from __future__ import annotations

import logging
from typing import Any

from fengqiao.bot.client import WeChatError
from fengqiao.cases.outbox import template_data
from fengqiao.cases.reach import Reach, Route, Ways, choose
from fengqiao.cases.subscriptions import settle
from fengqiao.documents.notify import NotSent
from fengqiao.documents.otp import SmsError
from fengqiao.storage.db import Database
from fengqiao.storage.models import utcnow

log = logging.getLogger(__name__)


class WeChatNotifier:
    """Template messages through the official account's client, subscribe messages through
    the mini-program's (both fengqiao.bot.client.WeChatClient); None when not configured."""

    def __init__(self, mp: Any | None, wxa: Any | None) -> None:
        self.mp = mp
        self.wxa = wxa

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], *, url: str | None = None
    ) -> int | str:
        if self.mp is None:
            raise RuntimeError("official account is not configured")
        return await self.mp.send_template(openid, template_id, data, url=url)  # type: ignore[no-any-return]

    async def send_subscribe(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str | None = None
    ) -> Any:
        if self.wxa is None:
            raise RuntimeError("mini-program is not configured")
        return await self.wxa.send_subscribe(openid, template_id, data, page=page)


class WeChatLinkNotifier:
    """Links to a person by the channel that can reach them (fengqiao.cases.reach): the
    mini-program's subscribe message (a grant for the kind's template is used), else the
    official account — a template message when one is configured (config/notifications.toml
    `[mp] document_template_id`), otherwise a customer-service text, which WeChat accepts
    within 48 h of the party's last message — else SMS where switched on. Each client gets
    only its own openids."""

    def __init__(
        self,
        db: Database,
        ways: Ways,
        *,
        mp: Any | None,
        wxa: Any | None,
        template_id: str = "",
        sms: Any | None = None,
        sms_links: Any | None = None,
    ) -> None:
        self.sms_links = sms_links
        self.db = db
        self.ways = ways
        self.mp = mp
        self.wxa = wxa
        self.template_id = template_id
        self.sms = sms

    async def send_link(
        self, to: Reach, kind: str, title: str, text: str, url: str, *, code: str = ""
    ) -> str | None:
        async with self.db.transaction() as session:
            route = await choose(session, to, kind, self.ways, used_by=f"link:{kind}", now=utcnow())
        if isinstance(route, str):
            raise NotSent(route)
        if route.fallback:
            log.info("link %s went by another channel: %s", kind, route.fallback)
        try:
            return await self._send(route, title, text, url, code)
        except (WeChatError, SmsError) as exc:
            if route.grant_id is not None:
                async with self.db.transaction() as session:
                    await settle(session, route.grant_id, exc)
            log.warning("link not sent: %s", exc)
            raise NotSent(str(exc)) from exc

    async def _send(self, route: Route, title: str, text: str, url: str, code: str) -> str | None:
        if route.channel == "wxa":
            assert route.template is not None and self.wxa is not None
            payload = {"code": code, "status_name": title, "remark": text,
                       "time": utcnow().isoformat(), "url": url}
            data = template_data(route.template.fields, payload)
            await self.wxa.send_subscribe(
                route.address, route.template.id, data, page=route.template.page_for(payload)
            )
            return None
        if route.channel == "mp":
            assert self.mp is not None
            if self.template_id:
                data = {"first": title, "keyword1": text, "remark": "点击查看"}
                msg_id = await self.mp.send_template(
                    route.address, self.template_id, data, url=url
                )
                return str(msg_id)
            await self.mp.send_text(route.address, f"{title}\n{text}\n{url}")
            return None
        if self.sms_links is not None:  # an approved template that carries a link
            await self.sms_links.send_link(route.address, code, url)
            return None
        assert self.sms is not None
        await self.sms.send(route.address, f"{title}：{text} {url}")
        return None
