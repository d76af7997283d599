"""Mini-program edge: login through jscode2session, and the intake dialog over JSON.

A login gives the mini-program a random session token; the key-value store maps (a hash of)
it to the resident's openid until it expires. WeChat's session_key never leaves this module:
it is neither returned nor stored.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from aiohttp import web

from fengqiao import keys
from fengqiao.bot import texts
from fengqiao.bot.client import InvalidLoginCode, WeChatError
from fengqiao.bot.limits import over_limit
from fengqiao.web.errors import ApiError
from fengqiao.web.openapi import documented

CHANNEL = "wxa"

LOGIN_REQUEST = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string", "description": "the code from wx.login()"}},
}
LOGIN_RESPONSE = {
    "type": "object",
    "required": ["token", "token_type", "expires_in"],
    "properties": {
        "token": {"type": "string"},
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer"},
    },
}
MESSAGE_REQUEST = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "maxLength": 2000}},
}
TURN_RESPONSE = {
    "type": "object",
    "required": ["reply", "state", "case_code"],
    "properties": {
        "reply": {"type": "string"},
        "state": {"type": "string"},
        "case_code": {"type": "string", "nullable": True},
    },
}


# What secrets.token_urlsafe gives, with room to spare.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _session_key(token: str) -> str:
    # Only a hash is stored, so a copy of the store does not hand out live sessions.
    return "wxa:session:" + hashlib.sha256(token.encode()).hexdigest()


async def authenticated_openid(request: web.Request) -> str:
    """The mini-program resident behind `Authorization: Bearer <token>`, or a 401 error."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", texts.LOGIN_REQUIRED)
    if not _TOKEN.fullmatch(token):
        # Not one we issued: other characters (bytes that are not UTF-8 arrive as lone
        # surrogates, which cannot even be hashed) or too long. Refused before any lookup.
        raise ApiError(401, "unauthorized", texts.LOGIN_EXPIRED)
    openid = await request.app[keys.KV].get(_session_key(token))
    if openid is None:
        raise ApiError(401, "unauthorized", texts.LOGIN_EXPIRED)
    return openid.decode()


async def _limit_ip(request: web.Request) -> None:
    config = request.app[keys.BOT_CONFIG]
    if await over_limit(
        request.app[keys.KV],
        f"ip:{request.remote or 'unknown'}",
        config.ip_requests_per_minute,
        now=config.clock(),
    ):
        raise ApiError(429, "too_many_requests", texts.TOO_MANY_REQUESTS)


async def _json_object(request: web.Request) -> dict[str, Any]:
    limit = request.app[keys.SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", texts.BAD_JSON)
    raw = await request.read()
    if len(raw) > limit:
        raise ApiError(413, "payload_too_large", texts.BAD_JSON)
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_json", texts.BAD_JSON) from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", texts.BAD_JSON)
    try:
        # JSON's "\ud800" escapes decode to lone surrogates, which no text can hold: they
        # fail later, wherever the string is encoded (the dialog, the database, the reply).
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ApiError(400, "bad_json", texts.BAD_CHARACTERS) from None
    return body


@documented(
    "Mini-program login: exchanges the wx.login() code for a session token",
    request=LOGIN_REQUEST,
    response=LOGIN_RESPONSE,
    errors=(400, 401, 429, 503),
)
async def login(request: web.Request) -> web.Response:
    await _limit_ip(request)
    body = await _json_object(request)
    code = body.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 128:
        raise ApiError(400, "bad_request", texts.LOGIN_CODE_INVALID)
    try:
        session = await request.app[keys.WXA].jscode2session(code.strip())
    except InvalidLoginCode:
        raise ApiError(401, "invalid_code", texts.LOGIN_CODE_INVALID) from None
    except WeChatError:
        raise ApiError(503, "wechat_unavailable", texts.WECHAT_UNAVAILABLE) from None
    ttl = request.app[keys.BOT_CONFIG].wxa_session_ttl_seconds
    token = secrets.token_urlsafe(32)
    await request.app[keys.KV].set(_session_key(token), session.openid, ttl=ttl)
    return web.json_response({"token": token, "token_type": "Bearer", "expires_in": int(ttl)})


@documented(
    "Mini-program intake: one message to the dispute-intake dialog, its reply back",
    request=MESSAGE_REQUEST,
    response=TURN_RESPONSE,
    errors=(400, 401, 429),
    security=True,
)
async def intake_message(request: web.Request) -> web.Response:
    await _limit_ip(request)
    openid = await authenticated_openid(request)
    config = request.app[keys.BOT_CONFIG]
    if await over_limit(
        request.app[keys.KV],
        f"{CHANNEL}:{openid}",
        config.user_messages_per_minute,
        now=config.clock(),
    ):
        raise ApiError(429, "too_many_requests", texts.TOO_MANY_REQUESTS)
    body = await _json_object(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "bad_request", texts.TEXT_REQUIRED)
    if len(text) > config.max_text_chars:
        raise ApiError(
            400, "text_too_long", texts.TEXT_TOO_LONG.format(limit=config.max_text_chars)
        )
    turn = await request.app[keys.INTAKE].handle_text(CHANNEL, openid, text.strip())
    return web.json_response(
        {"reply": turn.reply, "state": turn.state, "case_code": turn.case_code},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )
