"""How a link reaches a party: the interface the documents services send through. A party is
reached as a person with their channels (fengqiao.cases.reach.Reach): the bot implements it
over the mini-program's subscribe messages, the official account and SMS, each with its own
address (fengqiao/bot/notifiers.py); the default writes to the log and keeps what it sent,
for development and tests."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from fengqiao.cases.reach import Reach

log = logging.getLogger(__name__)


class NotSent(RuntimeError):
    """WeChat did not take the message; the caller records the failure and staff may resend."""


class Notifier(Protocol):
    async def send_link(
        self, to: Reach, kind: str, title: str, text: str, url: str, *, code: str = ""
    ) -> str | None:
        """Send a message with a link, for a notice of ``kind`` (signing, delivery, progress)
        on case ``code``; return WeChat's message id if it gives one; NotSent if no channel
        of the person took it."""
        ...


@dataclass
class LogNotifier:
    sent: list[dict[str, str]] = field(default_factory=list)

    async def send_link(
        self, to: Reach, kind: str, title: str, text: str, url: str, *, code: str = ""
    ) -> str | None:
        msg_id = uuid.uuid4().hex[:16]
        openid = to.primary.address
        self.sent.append(
            {"openid": openid, "channel": to.primary.kind, "kind": kind, "title": title,
             "text": text, "url": url, "msg_id": msg_id}
        )
        log.info("link for %s…: %s %s", openid[:6], title, url.split("?", 1)[0])
        return msg_id
