"""Once-only handling of WeChat deliveries, shared by all workers through the key-value store.

WeChat posts a message up to three times when it gets no answer in 5 s, and the repeats may
land on different workers. The first delivery claims the message key (the caller's: for the
official account, sender + MsgId, see `mp.message_key`) with `set_if_absent`;
repeats never run the dialog again: they wait briefly for the first one's reply and answer
the same.

The claim is a short lease that its worker renews while the turn runs. If that worker dies
mid-turn (killed, OOM), the lease lapses within `pending_ttl` seconds and WeChat's next
repeat claims the message and runs it: handled once, not zero times.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass

from fengqiao.storage import jsoncodec
from fengqiao.storage.kv import KeyValueStore, StoreUnavailable

_PENDING = b"pending"


@dataclass(frozen=True)
class Outcome:
    reply: str | None  # the passive reply; None means answer "success"
    deferred: bool  # the reply goes (or went) out as a customer-service message
    # The ledger's stored value this outcome was read from or written as: whoever hands a
    # passive reply out (or, finding its connection gone, takes it back to send it as a
    # message instead) does so by compare-and-set on it, so exactly one of them does.
    version: bytes = b""


def _encode(outcome: Outcome) -> bytes:
    body = {"reply": outcome.reply, "deferred": outcome.deferred, "v": os.urandom(16).hex()}
    return jsoncodec.dumps(body)


class MessageLedger:
    def __init__(
        self,
        kv: KeyValueStore,
        *,
        prefix: str,
        pending_ttl: float = 4.0,
        done_ttl: float = 3600.0,
        poll: float = 0.02,
    ) -> None:
        self.kv = kv
        self.prefix = prefix
        # Shorter than WeChat's 5 s between repeats, so a dead worker's claim has lapsed by
        # the next repeat; a live worker renews it for as long as its turn runs.
        self.pending_ttl = pending_ttl
        self.done_ttl = done_ttl
        self.poll = poll
        self._renewals: dict[str, asyncio.TimerHandle | asyncio.Future[None]] = {}
        self._tokens: dict[str, bytes] = {}

    def _key(self, message_key: str) -> str:
        return f"{self.prefix}:{message_key}"

    async def claim(self, message_key: str) -> bool:
        key = self._key(message_key)
        token = _PENDING + b":" + os.urandom(16).hex().encode()
        if not await self.kv.set_if_absent(key, token, self.pending_ttl):
            return False
        self._tokens[message_key] = token
        self._schedule_renewal(message_key, key, token)
        return True

    def _schedule_renewal(self, message_key: str, key: str, token: bytes) -> None:
        # A timer, not a task per message: most turns end long before the first renewal.
        loop = asyncio.get_running_loop()
        self._renewals[message_key] = loop.call_later(
            self.pending_ttl / 3, self._start_renewal, message_key, key, token
        )

    def _start_renewal(self, message_key: str, key: str, token: bytes) -> None:
        self._renewals[message_key] = asyncio.ensure_future(self._renew(message_key, key, token))

    async def _renew(self, message_key: str, key: str, token: bytes) -> None:
        with contextlib.suppress(StoreUnavailable):
            if not await self.kv.expire_if(key, token, self.pending_ttl):
                return
        if self._tokens.get(message_key) == token:
            self._schedule_renewal(message_key, key, token)

    def abandon(self, message_key: str) -> None:
        """Stop renewing a claim without touching the store (which may be down): it lapses."""
        self._stop_renewing(message_key)

    def _stop_renewing(self, message_key: str) -> None:
        self._tokens.pop(message_key, None)
        task = self._renewals.pop(message_key, None)
        if task is not None:
            task.cancel()

    async def finish(self, message_key: str, outcome: Outcome) -> bytes | None:
        """Record the outcome of our claim; its version, or None if the claim lapsed (this
        worker stalled past its lease) and a repeat took the message over: it answers, not us."""
        token = self._tokens.get(message_key)
        self._stop_renewing(message_key)
        value = _encode(outcome)
        key = self._key(message_key)
        if token is None:
            await self.kv.set(key, value, ttl=self.done_ttl)
            return value
        return value if await self.kv.replace_if(key, token, value, self.done_ttl) else None

    async def hand_out(self, message_key: str, outcome: Outcome) -> bytes | None:
        """A repeat about to answer with `outcome`'s passive reply: its new version, or None
        if the reply was meanwhile taken back (it goes as a message) or handed out again."""
        value = _encode(outcome)
        ok = await self.kv.replace_if(self._key(message_key), outcome.version, value, self.done_ttl)
        return value if ok else None

    async def take_back(self, message_key: str, version: bytes) -> bool:
        """The passive reply of `version` could not be delivered (connection gone): mark the
        message deferred so that no repeat hands it out; True if nobody had already."""
        deferred = _encode(Outcome(reply=None, deferred=True))
        return await self.kv.replace_if(self._key(message_key), version, deferred, self.done_ttl)

    async def release(self, message_key: str) -> None:
        """Forget a claim whose turn failed, so that a later repeat may try again."""
        self._stop_renewing(message_key)
        await self.kv.delete(self._key(message_key))

    async def wait(self, message_key: str, within: float) -> Outcome | None:
        """The first delivery's outcome, waiting up to `within` s; None if still pending."""
        deadline = time.monotonic() + within
        while True:
            value = await self.kv.get(self._key(message_key))
            if value is not None and not value.startswith(_PENDING):
                data = jsoncodec.loads(value)
                return Outcome(data.get("reply"), bool(data.get("deferred")), bytes(value))
            if value is None or time.monotonic() >= deadline:
                # None: the first delivery failed and released its claim; nothing to repeat.
                return None
            await asyncio.sleep(self.poll)
