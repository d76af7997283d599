"""The one signer for every token the platform issues: party links, room join links, calendar
feeds, mini-program web-view tickets, staff tool tokens.

Format ``fq1.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>``. The key is derived from the
service secret *and the purpose*, and the purpose is also inside the claims: a token made for
one purpose fails the signature check for any other, so a signing link can never reschedule
a booking and a room link can never open a document. No HTTP here; edges and services alike
import it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

PREFIX = "fq1"
CHINA = ZoneInfo("Asia/Shanghai")  # times in messages are the resident's
DAY = 24 * 3600

# Every purpose a token can have, with its default lifetime in seconds.
PURPOSES: dict[str, int] = {
    "sign": 14 * DAY,  # a party's signing link for one document
    "delivery": 60 * DAY,  # a party's delivery link for one document
    "evidence": 30 * DAY,  # a party's evidence page of one case
    "case": 30 * DAY,  # a party's own view of one case (progress, evidence, consent)
    "booking": 30 * DAY,  # a party's booking page of one case
    "room": DAY,  # a participant's join link to one video room
    "feed": 365 * DAY,  # a mediator's calendar feed
    "ticket": 120,  # a mini-program session handed once to a web-view page
}


class TokenError(ValueError):
    """Malformed, forged, expired, not yet valid, or made for another purpose."""

    MESSAGES = {
        "bad_token": "链接无效，请使用中心发给您的最新链接。",
        "expired": "链接已过期，请联系调解员重新发送。",
        "too_early": "还没到可以进入的时间，请在预约时间前几分钟再打开。",
        # Only room links have a start: the resident is told when the room opens.
        "too_early_at": "调解室将于 {at} 开放，请到时再打开此链接。",
        "wrong_purpose": "这个链接不能用于此操作。",
    }

    def __init__(self, code: str, *, opens_at: int | None = None) -> None:
        self.code = code
        self.opens_at = opens_at
        if code == "too_early" and opens_at:
            at = datetime.fromtimestamp(opens_at, CHINA)
            self.message = self.MESSAGES["too_early_at"].format(
                at=f"{at.month}月{at.day}日 {at:%H:%M}")
        else:
            self.message = self.MESSAGES[code]
        super().__init__(self.message)


@dataclass(frozen=True)
class Claims:
    purpose: str
    expires_at: int
    not_before: int = 0
    case_id: int | None = None
    party_id: int | None = None
    subject: str = ""  # who, where not a party: a staff id, a room participant, a mediator
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return "party" if self.party_id is not None else ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, secret: bytes) -> None:
        # One key per purpose, derived once; a label keeps these keys apart from every other
        # HMAC the platform computes with the same secret.
        self._keys = {
            purpose: hmac.new(secret, b"fengqiao token v1:" + purpose.encode(), hashlib.sha256)
            .digest()
            for purpose in PURPOSES
        }

    def issue(
        self,
        purpose: str,
        *,
        case_id: int | None = None,
        party_id: int | None = None,
        subject: str = "",
        name: str = "",
        ttl: float | None = None,
        not_before: float | None = None,
        expires_at: float | None = None,
        now: float | None = None,
        **extra: Any,
    ) -> str:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}")
        start = now if now is not None else time.time()
        expires = expires_at if expires_at is not None else start + (ttl or PURPOSES[purpose])
        payload: dict[str, Any] = {"u": purpose, "e": int(expires)}
        if not_before is not None:
            payload["b"] = int(not_before)
        if case_id is not None:
            payload["c"] = case_id
        if party_id is not None:
            payload["p"] = party_id
        if subject:
            payload["s"] = subject
        if name:
            payload["n"] = name
        if extra:
            payload["x"] = extra
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{PREFIX}.{body}.{self._sign(purpose, body)}"

    def verify(self, token: str, *purposes: str, now: float | None = None) -> Claims:
        """The claims of a valid token made for one of ``purposes``; TokenError otherwise."""
        parts = token.strip().split(".")
        if len(parts) != 3 or parts[0] != PREFIX or len(token) > 4096:
            raise TokenError("bad_token")
        body, sig = parts[1], parts[2]
        # Try each allowed purpose's key: a token of another purpose matches none of them.
        purpose = next(
            (
                p
                for p in purposes
                if p in self._keys and hmac.compare_digest(self._sign(p, body), sig)
            ),
            None,
        )
        if purpose is None:
            raise TokenError("wrong_purpose" if self._signed_by_any(body, sig) else "bad_token")
        try:
            raw = json.loads(_unb64(body))
            claims = Claims(
                purpose=str(raw["u"]),
                expires_at=int(raw["e"]),
                not_before=int(raw.get("b", 0)),
                case_id=_opt_int(raw.get("c")),
                party_id=_opt_int(raw.get("p")),
                subject=str(raw.get("s", "")),
                name=str(raw.get("n", "")),
                extra=dict(raw.get("x", {})),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TokenError("bad_token") from None
        if claims.purpose != purpose:
            raise TokenError("bad_token")
        moment = now if now is not None else time.time()
        if moment < claims.not_before:
            raise TokenError("too_early", opens_at=claims.not_before)
        if moment >= claims.expires_at:
            raise TokenError("expired")
        return claims

    def purpose_of(self, token: str) -> str | None:
        """The purpose a genuine token was signed for (expiry not checked), else None."""
        parts = token.strip().split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        return next(
            (p for p in PURPOSES if hmac.compare_digest(self._sign(p, parts[1]), parts[2])), None
        )

    def _signed_by_any(self, body: str, sig: str) -> bool:
        return any(hmac.compare_digest(self._sign(p, body), sig) for p in PURPOSES)

    def _sign(self, purpose: str, body: str) -> str:
        return _b64(hmac.new(self._keys[purpose], body.encode(), hashlib.sha256).digest())


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an id")
    return value


def is_token(text: str) -> bool:
    return text.startswith(PREFIX + ".")


@functools.lru_cache(maxsize=8)
def signer_for(secret: bytes) -> Signer:
    return Signer(secret)


# The services' way to issue a party link; ``role`` is accepted for old callers and ignored:
# only parties hold tokens.
def issue_token(
    secret: bytes,
    *,
    purpose: str,
    case_id: int | None = None,
    party_id: int | None = None,
    role: str = "party",
    subject: str = "",
    name: str = "",
    ttl: float | None = None,
    now: float | None = None,
) -> str:
    if case_id is None or party_id is None:
        raise ValueError("a party token names its case and party")
    return signer_for(secret).issue(
        purpose, case_id=case_id, party_id=party_id, subject=subject, name=name, ttl=ttl, now=now
    )


def verify_token(
    secret: bytes, token: str, *purposes: str, now: float | None = None
) -> Claims:
    """Claims of a party token made for one of ``purposes`` (every party purpose if none)."""
    return signer_for(secret).verify(token, *(purposes or PARTY_PURPOSES), now=now)


PARTY_PURPOSES = ("sign", "delivery", "evidence", "case", "booking")
AccessDenied = TokenError
