"""Who is asking: the one helper for party links, mini-program sessions and staff sessions.

Parties never log in. The platform sends each party, through WeChat, a link carrying a
signed token: case id, party id (case_parties.id), purpose and expiry, HMAC-SHA256 with the
service secret. Possession of the link is the WeChat identity bound to the party; signing
adds a one-time code to the party's phone. A mini-program user is recognised instead by its
session (``Authorization: Bearer``), mapped to an openid by the bot edge. Staff are checked
by a hook the console supplies (``STAFF_CHECK``); until it does, a staff token issued with
this same helper (role "staff") is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from fengqiao import keys
from fengqiao.documents.texts import ACCESS
from fengqiao.web.errors import ApiError

TOKEN_PREFIX = "fq1"  # noqa: S105 - a format marker, not a secret
DAY = 24 * 3600
TTL = {
    "sign": 14 * DAY,
    "delivery": 60 * DAY,
    "evidence": 30 * DAY,
    "case": 30 * DAY,
    "staff": 12 * 3600,
}
PURPOSES = frozenset(TTL)


class AccessDenied(ValueError):
    def __init__(self, code: str) -> None:
        self.code = code
        self.message = ACCESS[code]
        super().__init__(self.message)


@dataclass(frozen=True)
class AccessClaims:
    role: str  # party | staff
    purpose: str
    expires_at: int
    case_id: int | None = None
    party_id: int | None = None
    subject: str = ""  # staff id
    name: str = ""


@dataclass(frozen=True)
class StaffIdentity:
    id: str
    name: str
    phone: str | None = None
    role: str = "mediator"


StaffCheck = Callable[[web.Request], Awaitable[StaffIdentity | None]]
# The console sets this to its session check; see default_staff_check for the fallback.
STAFF_CHECK: web.AppKey[StaffCheck] = web.AppKey("staff_check")


def _key(secret: bytes) -> bytes:
    # A key of its own for links, so a token can never be mistaken for another HMAC's output.
    return hmac.new(secret, b"fengqiao access token v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if role == "party" and (case_id is None or party_id is None):
        raise ValueError("a party token names its case and party")
    expires = int((now if now is not None else time.time()) + (ttl or TTL[purpose]))
    payload = {"r": role, "u": purpose, "e": expires, "c": case_id, "p": party_id}
    if subject:
        payload["s"] = subject
    if name:
        payload["n"] = name
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    sig = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    return f"{TOKEN_PREFIX}.{body}.{sig}"


def verify_token(secret: bytes, token: str, *, now: float | None = None) -> AccessClaims:
    """The claims of a valid, unexpired token; ``AccessDenied`` otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise AccessDenied("bad_token")
    expected = _b64(hmac.new(_key(secret), parts[1].encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), parts[2].encode()):
        raise AccessDenied("bad_token")
    try:
        payload = json.loads(_unb64(parts[1]))
        claims = AccessClaims(
            role=str(payload["r"]),
            purpose=str(payload["u"]),
            expires_at=int(payload["e"]),
            case_id=payload.get("c"),
            party_id=payload.get("p"),
            subject=str(payload.get("s", "")),
            name=str(payload.get("n", "")),
        )
    except (ValueError, KeyError, TypeError):
        raise AccessDenied("bad_token") from None
    if (now if now is not None else time.time()) >= claims.expires_at:
        raise AccessDenied("expired")
    return claims


def is_platform_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX + ".")


def request_token(request: web.Request) -> str | None:
    """A platform token from ``?t=``, ``X-Access-Token`` or ``Authorization: Bearer fq1.…``."""
    token = request.query.get("t") or request.headers.get("X-Access-Token")
    if token:
        return token
    bearer = _bearer(request)
    return bearer if bearer and is_platform_token(bearer) else None


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def party_claims(request: web.Request) -> AccessClaims | None:
    """Claims of the party link on this request, None without one; 401 if it is bad."""
    token = request_token(request)
    if token is None:
        return None
    try:
        claims = verify_token(request.app[keys.SETTINGS].secret, token)
    except AccessDenied as exc:
        raise ApiError(401, exc.code, exc.message) from None
    return claims if claims.role == "party" else None


async def miniprogram_openid(request: web.Request) -> str | None:
    """The openid of a mini-program session (bot/wxa.py); a 401 if it has expired."""
    bearer = _bearer(request)
    if not bearer or is_platform_token(bearer):
        return None
    from fengqiao.bot.wxa import authenticated_openid  # here: the bot package imports web

    return await authenticated_openid(request) or None


async def default_staff_check(request: web.Request) -> StaffIdentity | None:
    """Staff token issued by ``issue_token(role="staff")``: tests and tools until the
    console's session check is wired in through ``STAFF_CHECK``."""
    token = request_token(request)
    if not token:
        return None
    try:
        claims = verify_token(request.app[keys.SETTINGS].secret, token)
    except AccessDenied:
        return None
    if claims.role != "staff" or not claims.subject:
        return None
    return StaffIdentity(id=claims.subject, name=claims.name or claims.subject)


async def current_staff(request: web.Request) -> StaffIdentity | None:
    check = request.app.get(STAFF_CHECK) or default_staff_check
    return await check(request)


async def require_staff(request: web.Request) -> StaffIdentity:
    staff = await current_staff(request)
    if staff is None:
        raise ApiError(401, "staff_only", ACCESS["staff_only"])
    return staff


def client_ip(request: web.Request) -> str | None:
    return request.remote


def user_agent(request: web.Request) -> str | None:
    ua = request.headers.get("User-Agent")
    return ua[:255] if ua else None
