"""How a link reaches a party: the interface the documents services send through. A party is
reached as a person with their channels (fengqiao.cases.reach.Reach): the bot implements it
over the mini-program's subscribe messages, the official account and SMS, each with its own
address (fengqiao/bot/notifiers.py); the default writes to the log and keeps what it sent,
for development and tests."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fengqiao.cases.reach import Reach
from fengqiao.storage.models import utcnow

log = logging.getLogger(__name__)
DEV_INBOX = "dev-messages.txt"


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
    """With no WeChat and no SMS configured (development, the demo): the log gets the link
    without its token (logs are read by many); the whole message, as the party would have
    received it, goes to ``inbox`` (``<data dir>/dev-messages.txt``), so a developer can
    open the party's pages."""

    sent: list[dict[str, str]] = field(default_factory=list)
    inbox: Path | None = None

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
        if self.inbox is not None:
            when = utcnow().isoformat(timespec="seconds")
            words = " ".join(f"{title} {text}".split())  # one line per message
            line = f"{when}\t{to.primary.kind}:{openid}\t{words}\t{url}\n"
            with self.inbox.open("a", encoding="utf-8") as out:
                out.write(line)
        return msg_id
