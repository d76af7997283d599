"""The WeChat side of the notices the domain sends: the outbox's ``Notifier`` (fengqiao.cases.
outbox) and the documents' link ``Notifier`` (fengqiao.documents.notify), over the official
account's and the mini-program's API clients."""

from __future__ import annotations

import logging
from typing import Any

from fengqiao.bot.client import WeChatError
from fengqiao.documents.notify import NotSent

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
    """Links through the official account: a template message when one is configured
    (config/notifications.toml `[mp] document_template_id`), otherwise a customer-service
    text message, which WeChat accepts within 48 h of the party's last message."""

    def __init__(self, client: Any, template_id: str = "") -> None:
        self.client = client
        self.template_id = template_id

    async def send_link(self, openid: str, title: str, text: str, url: str) -> str | None:
        try:
            if self.template_id:
                data = {"first": title, "keyword1": text, "remark": "点击查看"}
                msg_id = await self.client.send_template(openid, self.template_id, data, url=url)
                return str(msg_id)
            await self.client.send_text(openid, f"{title}\n{text}\n{url}")
            return None
        except WeChatError as exc:
            log.warning("link not sent: %s", exc)
            raise NotSent(str(exc)) from exc
