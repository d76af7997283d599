"""One-time SMS codes that confirm it is the party who is signing (Online Mediation Rules
art. 17 asks for online identity checks).

Codes are six digits, valid five minutes, good for one use and a few wrong tries. Only a
keyed hash is stored, in the shared key-value store, so a leaked store does not leak codes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fengqiao.documents.texts import OTP

log = logging.getLogger(__name__)

CODE_TTL = 300.0  # seconds
MAX_ATTEMPTS = 5
RESEND_AFTER = 60.0
RATE_WINDOW = 3600.0
MAX_PER_PHONE = 8  # codes per phone number per hour, whatever they are for
MAX_PER_SCOPE = 20  # codes per document per hour, all its signers together
_PHONE = re.compile(r"^1[3-9]\d{9}$")


class KeyValueStore(Protocol):
    """The part of storage/'s key-value store this module needs (Redis or in-process)."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None: ...

    async def delete(self, key: str) -> None: ...


class SmsSender(Protocol):
    """Sends ``text`` (the development wording; a provider uses its approved template
    with the code and minutes from it) to ``phone``; raises ``SmsError`` if not sent."""

    async def send(self, phone: str, text: str) -> None: ...


class SmsError(RuntimeError):
    """The provider did not take the message (its error code is the argument)."""


class LogSmsSender:
    """Development sender: writes the message to the log with the phone number masked, and
    keeps the last message per phone in memory so tests (and a developer) can read it."""

    def __init__(self) -> None:
        self.last: dict[str, str] = {}

    async def send(self, phone: str, text: str) -> None:
        self.last[phone] = text
        log.warning("SMS to %s: %s", mask_phone(phone), text)

    def last_code(self, phone: str) -> str | None:
        match = re.search(r"(?<!\d)(\d{6})(?!\d)", self.last.get(phone, ""))
        return match.group(1) if match else None


class OtpError(ValueError):
    def __init__(self, code: str, **kwargs: object) -> None:
        self.code = code
        self.message = OTP[code].format(**kwargs)
        super().__init__(self.message)


@dataclass
class OtpService:
    kv: KeyValueStore
    sender: SmsSender
    secret: bytes  # FENGQIAO_SECRET_KEY
    ttl: float = CODE_TTL
    max_attempts: int = MAX_ATTEMPTS
    resend_after: float = RESEND_AFTER
    clock: Callable[[], float] = time.time
    max_per_phone: int = MAX_PER_PHONE
    max_per_scope: int = MAX_PER_SCOPE

    async def send(self, purpose: str, phone: str, *, scope: str = "") -> None:
        """Send a fresh code for ``purpose`` (e.g. ``sign:<doc_code>:<field>``).

        Besides one resend per minute, at most ``max_per_phone`` codes go to one number and
        ``max_per_scope`` codes are sent for one ``scope`` (a document) per hour: SMS costs
        money and a flood of codes is a harassment tool."""
        if not _PHONE.match(phone):
            raise OtpError("bad_phone")
        key = self._key(purpose, phone)
        now = self.clock()
        current = await self._load(key)
        if current is not None and now - current["sent_at"] < self.resend_after:
            raise OtpError("too_soon", seconds=int(self.resend_after - (now - current["sent_at"])))
        await self._count(self._key("rate-phone", phone), self.max_per_phone, now)
        if scope:
            await self._count(self._key("rate-scope", scope), self.max_per_scope, now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        record = {"hash": self._hash(purpose, phone, code), "sent_at": now,
                  "expires_at": now + self.ttl, "attempts": 0}
        await self.kv.set(key, json.dumps(record).encode(), ttl=self.ttl)
        try:
            await self.sender.send(phone, OTP["sms"].format(code=code,
                                                            minutes=int(self.ttl // 60)))
        except SmsError:
            await self.kv.delete(key)  # no code was delivered: allow a retry at once
            raise OtpError("not_sent") from None

    async def verify(self, purpose: str, phone: str, code: str) -> None:
        """Return if ``code`` is right; raise ``OtpError`` otherwise. A right code is spent."""
        key = self._key(purpose, phone)
        record = await self._load(key)
        # The expiry is checked here too, not only through the store's TTL, so a store
        # that keeps keys a little longer cannot stretch a code's life.
        if record is None or self.clock() >= record["expires_at"]:
            await self.kv.delete(key)
            raise OtpError("expired")
        if hmac.compare_digest(record["hash"], self._hash(purpose, phone, code.strip())):
            await self.kv.delete(key)  # single use
            return
        record["attempts"] += 1
        left = self.max_attempts - record["attempts"]
        if left <= 0:
            await self.kv.delete(key)
            raise OtpError("too_many")
        remaining = max(1.0, record["expires_at"] - self.clock())
        await self.kv.set(key, json.dumps(record).encode(), ttl=remaining)
        raise OtpError("wrong", left=left)

    async def _count(self, key: str, limit: int, now: float) -> None:
        raw = await self.kv.get(key)
        times = [t for t in (json.loads(raw) if raw else []) if now - t < RATE_WINDOW]
        if len(times) >= limit:
            wait = int(RATE_WINDOW - (now - min(times))) // 60 + 1
            raise OtpError("rate_limited", minutes=wait)
        times.append(now)
        await self.kv.set(key, json.dumps(times).encode(), ttl=RATE_WINDOW)

    def _key(self, purpose: str, phone: str) -> str:
        # The phone number itself is not put in the key: keys show up in Redis tooling.
        ident = hmac.new(self.secret, f"{purpose}|{phone}".encode(), hashlib.sha256)
        return "otp:" + ident.hexdigest()[:32]

    def _hash(self, purpose: str, phone: str, code: str) -> str:
        msg = f"code|{purpose}|{phone}|{code}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    async def _load(self, key: str) -> dict | None:
        raw = await self.kv.get(key)
        return json.loads(raw) if raw else None


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
