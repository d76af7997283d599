"""Console sessions: a random id in an HttpOnly SameSite cookie, the session itself in the
key-value store (shared by all workers), a CSRF token per session, and a fresh id at sign-in
so a session id planted before sign-in is worthless (no fixation)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fengqiao.storage.kv import KeyValueStore

COOKIE = "fq_session"
PRE_COOKIE = "fq_pre"  # before sign-in: binds the login form's CSRF token to this browser
TTL = 8 * 3600


@dataclass
class ConsoleSession:
    sid: str
    user_id: int
    csrf: str
    data: dict[str, Any] = field(default_factory=dict)
    # When it was started (epoch seconds): disabling the account or resetting its password
    # ends the sessions started before (accounts.get_user).
    started: float = field(default_factory=time.time)


def _key(sid: str) -> str:
    # Store a hash of the id: a leaked store dump does not hand out live sessions.
    return "console:session:" + hashlib.sha256(sid.encode()).hexdigest()


def _cookie_args(secure: bool, max_age: int | None = TTL) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "Lax",
        "secure": secure,
        "path": "/",
        "max_age": max_age,
    }


class SessionStore:
    def __init__(self, kv: KeyValueStore, secret: bytes, secure: bool) -> None:
        self.kv = kv
        self.secret = secret
        self.secure = secure

    async def load(self, request: web.Request) -> ConsoleSession | None:
        sid = request.cookies.get(COOKIE)
        if not sid or len(sid) > 128:
            return None
        raw = await self.kv.get(_key(sid))
        if raw is None:
            return None
        body = json.loads(raw)
        return ConsoleSession(sid, int(body["user_id"]), str(body["csrf"]), body.get("data", {}),
                              float(body.get("started", 0.0)))

    async def save(self, session: ConsoleSession) -> None:
        body = {"user_id": session.user_id, "csrf": session.csrf, "data": session.data,
                "started": session.started}
        await self.kv.set(_key(session.sid), json.dumps(body, ensure_ascii=False), ttl=TTL)

    async def start(
        self, request: web.Request, response: web.StreamResponse, user_id: int
    ) -> ConsoleSession:
        """Sign-in: drop whatever session the browser had and issue a brand-new id."""
        old = request.cookies.get(COOKIE)
        if old:
            await self.kv.delete(_key(old))
        session = ConsoleSession(secrets.token_urlsafe(32), user_id, secrets.token_urlsafe(32))
        await self.save(session)
        response.set_cookie(COOKIE, session.sid, **_cookie_args(self.secure))
        response.del_cookie(PRE_COOKIE, path="/")
        return session

    async def end(self, request: web.Request, response: web.StreamResponse) -> None:
        sid = request.cookies.get(COOKIE)
        if sid:
            await self.kv.delete(_key(sid))
        response.del_cookie(COOKIE, path="/")

    # -- the login form's CSRF token, before there is a session --------------------------------
    def pre_token(self, pre_id: str) -> str:
        return hmac.new(self.secret, b"login:" + pre_id.encode(), hashlib.sha256).hexdigest()

    def ensure_pre(self, request: web.Request, response: web.StreamResponse) -> str:
        pre_id = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
        response.set_cookie(PRE_COOKIE, pre_id, **_cookie_args(self.secure, 1800))
        return self.pre_token(pre_id)

    def check_pre(self, request: web.Request, token: str) -> bool:
        pre_id = request.cookies.get(PRE_COOKIE)
        return bool(pre_id) and hmac.compare_digest(self.pre_token(pre_id or ""), token or "")


def csrf_ok(session: ConsoleSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf, token or "")
