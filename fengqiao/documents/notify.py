"""How a link reaches a party: the interface the documents services send through. The bot
implements it over WeChat (fengqiao/bot/notifiers.py); the default writes to the log and keeps
what it sent, for development and tests."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Protocol

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
