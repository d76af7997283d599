"""Who is asking: exactly one identity per request, resolved once by the door's middleware.

- ``Staff``: a console session (cookie ``fq_session``). A write must carry the session's CSRF
  token (``X-CSRF-Token`` header, or the form field ``csrf``), else it is refused.
- ``Party``: a party link, a token signed for one purpose, one case and one party
  (``?t=``, ``X-Access-Token`` or ``Authorization: Bearer fq1.…``).
- ``Resident``: a mini-program session (``Authorization: Bearer <session token>``), a party on
  whichever cases their WeChat identity is a party of; or, on ``/h5/`` pages and the JSON API
  they call, the short web session of the mini-program's web-view (cookie ``fq_h5``, made from
  a single-use ticket by h5_session.py). A write with that cookie must carry the header
  ``X-Requested-With: fengqiao-h5``, which a form on another site cannot send.
- ``Anonymous``: none of these.
A token in the request wins over a cookie: a staff member who opens a party's link in the same
browser acts as that party, never with both identities at once. They may look (the page the
party sees), but a write through a party's case link from a browser signed in to the console
is refused (``staff_with_party_link``): what staff write would otherwise be stored as the
party's, silently. Staff answer a party from the console's case page.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from fengqiao import keys
from fengqiao.accounts import Staff as StaffUser
from fengqiao.accounts import get_user
from fengqiao.tokens import PURPOSES, Claims, TokenError, is_token
from fengqiao.web.sessions import COOKIE as CONSOLE_COOKIE
from fengqiao.web.sessions import ConsoleSession, csrf_ok

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Anonymous:
    kind = "anonymous"


@dataclass(frozen=True)
class Staff:
    user: StaffUser
    session: ConsoleSession | None
    csrf_ok: bool
    kind = "staff"

    @property
    def actor(self) -> str:
        return self.user.actor


@dataclass(frozen=True)
class Party:
    claims: Claims
    kind = "party"

    @property
    def actor(self) -> str:
        return f"party:{self.claims.party_id}"


@dataclass(frozen=True)
class Resident:
    openid: str
    kind = "resident"


@dataclass(frozen=True)
class BadCredential:
    """A token or session that was presented but is forged, expired or unknown."""

    code: str
    message: str
    kind = "bad"


Requester = Anonymous | Staff | Party | Resident | BadCredential

REQUESTER: web.RequestKey[Requester] = web.RequestKey("requester")

LOGIN_REQUIRED = "请先登录小程序"
STAFF_WITH_PARTY_LINK = (
    "您已登录工作台，这是当事人本人的链接，不能以当事人身份提交。请在工作台案件页回复当事人。"
)
# The party links whose writes a console session in the same browser turns away: the case
# link, whose thread, evidence and consent would otherwise be recorded as the party's.
_NOT_WITH_STAFF = frozenset({"case"})
# What secrets.token_urlsafe gives for a mini-program session, with room to spare.
_SESSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOGIN_EXPIRED = "登录已过期，请重新进入小程序"


H5_COOKIE = "fq_h5"
H5_HEADER = "fengqiao-h5"  # X-Requested-With on the web-view pages' writes
# Paths where the web-view's cookie counts: the pages, and the JSON API the pages call.
H5_PATHS = ("/h5/", "/api/v1/")
# Never there: the cookie must not buy a long-lived mini-program session (refresh) or end
# one, nor a ticket for another cookie (a chain of two-hour cookies would never expire).
NOT_H5 = ("/api/v1/auth/", "/api/v1/me/ticket")


def h5_session_key(value: str) -> str:
    return "h5:session:" + hashlib.sha256(value.encode()).hexdigest()


def h5_ended_key(openid: str) -> str:
    """When the resident last logged out of the mini-program: web-view sessions (and tickets)
    issued before then are over (bot/wxa.py logout)."""
    return "h5:ended:" + hashlib.sha256(openid.encode()).hexdigest()


def h5_value(openid: str, issued: float) -> str:
    """What a ticket and the web-view session it buys hold: the resident and when the ticket
    was issued."""
    return f"{openid}\n{issued!r}"


async def h5_resident(request: web.Request, value: bytes | None) -> str | None:
    """The resident of a stored ticket or web-view session, unless they logged out since."""
    if not value:
        return None
    openid, _, issued = value.decode().partition("\n")
    ended = await request.app[keys.KV].get(h5_ended_key(openid))
    if ended is not None and float(ended) >= float(issued or 0):
        return None
    return openid


def wxa_session_key(token: str) -> str:
    # Only a hash is stored, so a copy of the store does not hand out live sessions.
    return "wxa:session:" + hashlib.sha256(token.encode()).hexdigest()


def presented_token(request: web.Request) -> str | None:
    """A platform token from ``?t=``, ``X-Access-Token`` or ``Authorization: Bearer fq1.…``."""
    token = request.query.get("t") or request.headers.get("X-Access-Token")
    if token:
        return token
    bearer = _bearer(request)
    return bearer if bearer and is_token(bearer) else None


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def resolve(request: web.Request, *, now: float | None = None) -> Requester:
    """The one identity of ``request``."""
    token = presented_token(request)
    if token is not None:
        found = party(request, token, now=now)
        if (
            isinstance(found, Party)
            and found.claims.purpose in _NOT_WITH_STAFF
            and request.method not in SAFE_METHODS
            and request.cookies.get(CONSOLE_COOKIE)
            and isinstance(await _staff(request), Staff)
        ):
            return BadCredential("staff_with_party_link", STAFF_WITH_PARTY_LINK)
        return found
    bearer = _bearer(request)
    if bearer is not None:
        return await _resident(request, bearer)
    web_view = request.cookies.get(H5_COOKIE)
    if web_view and request.path.startswith(H5_PATHS) and not request.path.startswith(NOT_H5):
        return await _web_view(request, web_view)
    return await _staff(request)


def party(request: web.Request, token: str, *, now: float | None = None) -> Requester:
    """A party link: genuine and unexpired, for whatever purpose it was made. What that purpose
    allows, on which case, is the policy's to say (door.py)."""
    try:
        claims = request.app[keys.SIGNER].verify(token, *PURPOSES, now=now)
    except TokenError as exc:
        return BadCredential(exc.code, exc.message)
    return Party(claims)


async def _resident(request: web.Request, bearer: str) -> Requester:
    if not _SESSION_TOKEN.fullmatch(bearer):
        # Not one we issued: other characters (bytes that are not UTF-8 arrive as lone
        # surrogates, which cannot even be hashed) or too long. Refused before any lookup.
        return BadCredential("unauthorized", LOGIN_EXPIRED)
    openid = await request.app[keys.KV].get(wxa_session_key(bearer))
    if openid is None:
        return BadCredential("unauthorized", LOGIN_EXPIRED)
    return Resident(openid.decode())


async def _web_view(request: web.Request, value: str) -> Requester:
    """The mini-program's web-view session: issued only there, so it wins over a console
    cookie; a write must carry the page's header (no cross-site form can)."""
    if not _SESSION_TOKEN.fullmatch(value):
        return BadCredential("unauthorized", LOGIN_EXPIRED)
    if request.method not in SAFE_METHODS and request.headers.get("X-Requested-With") != H5_HEADER:
        return BadCredential("csrf", "页面已过期，请刷新后重试")  # answered 403, as staff's
    openid = await h5_resident(request, await request.app[keys.KV].get(h5_session_key(value)))
    if not openid:
        return BadCredential("unauthorized", LOGIN_EXPIRED)
    return Resident(openid)


async def _staff(request: web.Request) -> Requester:
    store = request.app.get(keys.CONSOLE_SESSIONS)
    if store is None:
        return Anonymous()
    session = await store.load(request)
    if session is None:
        return Anonymous()
    user = await get_user(request.app[keys.DB], session.user_id, started=session.started)
    if user is None:
        return Anonymous()
    ok = request.method in SAFE_METHODS or csrf_ok(session, await _csrf_of(request))
    return Staff(user, session, ok)


async def _csrf_of(request: web.Request) -> str | None:
    header = request.headers.get("X-CSRF-Token")
    if header:
        return header
    # A plain form carries it as a field (the body is small and aiohttp caches it for the
    # handler). Uploads are streamed by their handler, so they must send the header.
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            form = await request.post()
        except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError):
            return None  # a form that cannot be read carries no token: the write is refused
        value = form.get("csrf")
        return value if isinstance(value, str) else None
    return None
