"""Once-only handling of WeChat deliveries, shared by all workers through the key-value store.

WeChat posts a message up to three times when it gets no answer in 5 s, and the repeats may
land on different workers. The first delivery claims the message key with `set_if_absent`;
repeats never run the dialog again: they wait briefly for the first one's reply and answer
the same.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from fengqiao.storage.kv import KeyValueStore

_PENDING = b"pending"


@dataclass(frozen=True)
class Outcome:
    reply: str | None  # the passive reply; None means answer "success"
    deferred: bool  # the reply goes (or went) out as a customer-service message


class MessageLedger:
    def __init__(
        self,
        kv: KeyValueStore,
        *,
        prefix: str,
        pending_ttl: float = 300.0,
        done_ttl: float = 3600.0,
        poll: float = 0.02,
    ) -> None:
        self.kv = kv
        self.prefix = prefix
        # A claim outlives the slowest turn; if a worker dies mid-turn it expires and a later
        # repeat can try again.
        self.pending_ttl = pending_ttl
        self.done_ttl = done_ttl
        self.poll = poll

    def _key(self, message_key: str) -> str:
        return f"{self.prefix}:{message_key}"

    async def claim(self, message_key: str) -> bool:
        return await self.kv.set_if_absent(self._key(message_key), _PENDING, self.pending_ttl)

    async def finish(self, message_key: str, outcome: Outcome) -> None:
        value = json.dumps({"reply": outcome.reply, "deferred": outcome.deferred})
        await self.kv.set(self._key(message_key), value, ttl=self.done_ttl)

    async def release(self, message_key: str) -> None:
        """Forget a claim whose turn failed, so that a later repeat may try again."""
        await self.kv.delete(self._key(message_key))

    async def wait(self, message_key: str, within: float) -> Outcome | None:
        """The first delivery's outcome, waiting up to `within` s; None if still pending."""
        deadline = time.monotonic() + within
        while True:
            value = await self.kv.get(self._key(message_key))
            if value is not None and value != _PENDING:
                data = json.loads(value)
                return Outcome(reply=data.get("reply"), deferred=bool(data.get("deferred")))
            if value is None or time.monotonic() >= deadline:
                # None: the first delivery failed and released its claim; nothing to repeat.
                return None
            await asyncio.sleep(self.poll)
