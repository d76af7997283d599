"""How a link reaches a party on WeChat. The lead wires the WeChat client/outbox in; the
default writes to the log and keeps what it sent, for development and tests."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


class NotSent(RuntimeError):
    """WeChat did not take the message; the caller records the failure and staff may resend."""


class Notifier(Protocol):
    async def send_link(self, openid: str, title: str, text: str, url: str) -> str | None:
        """Send a message with a link; return WeChat's message id if it gives one."""
        ...


@dataclass
class LogNotifier:
    sent: list[dict[str, str]] = field(default_factory=list)

    async def send_link(self, openid: str, title: str, text: str, url: str) -> str | None:
        msg_id = uuid.uuid4().hex[:16]
        self.sent.append(
            {"openid": openid, "title": title, "text": text, "url": url, "msg_id": msg_id}
        )
        log.info("link for %s…: %s %s", openid[:6], title, url.split("?", 1)[0])
        return msg_id


class WeChatLinkNotifier:
    """Links through the official account: a template message when one is configured
    (config/notifications.toml `[mp] document_template_id`), otherwise a customer-service
    text message, which WeChat accepts within 48 h of the party's last message."""

    def __init__(self, client: Any, template_id: str = "") -> None:
        self.client = client
        self.template_id = template_id

    async def send_link(self, openid: str, title: str, text: str, url: str) -> str | None:
        from fengqiao.bot.client import WeChatError

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
