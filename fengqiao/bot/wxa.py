"""Mini-program edge: login through jscode2session, and the intake dialog over JSON.

A login gives the mini-program a random session token; the key-value store maps (a hash of)
it to the resident's openid until it expires. WeChat's session_key never leaves this module:
it is neither returned nor stored.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from fengqiao import errors, keys
from fengqiao.bot import texts
from fengqiao.bot.client import InvalidLoginCode, WeChatError
from fengqiao.web.kit.door import Call, Routes
from fengqiao.web.kit.limits import limit
from fengqiao.web.kit.models import Body
from fengqiao.web.kit.requester import Resident, wxa_session_key

CHANNEL = "wxa"
routes = Routes()


class Login(Body):
    code: str = Field(min_length=1, max_length=128, description="the code from wx.login()")
    device: str = Field(
        default="",
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]*$",
        description="a stable id of this install: a new login revokes its older sessions",
    )


class LoginReply(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name
    expires_in: int


class Refresh(Body):
    device: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")


class LoggedOut(BaseModel):
    ok: bool = True


class Message(Body):
    text: str = Field(min_length=1, max_length=2000, description="what the resident typed")


class Turn(BaseModel):
    reply: str
    state: str
    case_code: str | None


async def _limit_ip(request: web.Request) -> None:
    config = request.app[keys.BOT_CONFIG]
    await limit(request, "ip", config.ip_requests_per_minute, now=config.clock())


@routes.post(
    "/api/v1/auth/wxa-login",
    "public",
    body=Login,
    response=LoginReply,
    summary="Mini-program login: exchanges the wx.login() code for a session token",
    errors=(401, 429, 503),
)
async def login(call: Call[Login, Any]) -> LoginReply:
    await _limit_ip(call.request)
    try:
        session = await call.app[keys.WXA].jscode2session(call.body.code)
    except InvalidLoginCode:
        raise errors.Unauthorized("invalid_code", texts.LOGIN_CODE_INVALID) from None
    except WeChatError:
        raise errors.Unavailable("wechat_unavailable", texts.WECHAT_UNAVAILABLE) from None
    cases = call.app.get(keys.CASES)
    if cases is not None:
        # One person across channels: the unionid joins this login to the same resident on
        # the official account (fengqiao.cases.identity).
        await cases.link(CHANNEL, session.openid, session.unionid)
    return await _start(call, session.openid, call.body.device)


async def _start(call: Call[Any, Any], openid: str, device: str) -> LoginReply:
    """A new session for ``openid``; the device's previous one, if any, stops working."""
    kv, ttl = call.app[keys.KV], call.app[keys.BOT_CONFIG].wxa_session_ttl_seconds
    token = secrets.token_urlsafe(32)
    await kv.set(wxa_session_key(token), openid, ttl=ttl)
    if device:
        slot = _device_key(openid, device)
        previous = await kv.get(slot)
        if previous is not None:
            await kv.delete(previous.decode())
        await kv.set(slot, wxa_session_key(token), ttl=ttl)
    return LoginReply(token=token, expires_in=int(ttl))


def _device_key(openid: str, device: str) -> str:
    return "wxa:device:" + hashlib.sha256(f"{openid}\n{device}".encode()).hexdigest()


def _presented(call: Call[Any, Any]) -> str:
    return call.request.headers.get("Authorization", "").partition(" ")[2].strip()


@routes.post(
    "/api/v1/auth/refresh",
    "resident",
    body=Refresh,
    response=LoginReply,
    summary="A fresh session for the signed-in resident; the one presented stops working",
)
async def refresh(call: Call[Refresh, Any]) -> LoginReply:
    who = call.who
    assert isinstance(who, Resident)
    await call.app[keys.KV].delete(wxa_session_key(_presented(call)))
    return await _start(call, who.openid, call.body.device)


@routes.post(
    "/api/v1/auth/logout",
    "resident",
    response=LoggedOut,
    summary="End the session presented",
)
async def logout(call: Call[Any, Any]) -> LoggedOut:
    await call.app[keys.KV].delete(wxa_session_key(_presented(call)))
    return LoggedOut()


@routes.post(
    "/api/v1/intake/messages",
    "resident",
    body=Message,
    response=Turn,
    summary="Mini-program intake: one message to the dispute-intake dialog, its reply back",
    errors=(429,),
)
async def intake_message(call: Call[Message, Any]) -> Turn:
    await _limit_ip(call.request)
    who = call.who
    assert isinstance(who, Resident)
    config = call.app[keys.BOT_CONFIG]
    await limit(
        call.request,
        f"{CHANNEL}:{who.openid}",
        config.user_messages_per_minute,
        per_address=False,
        now=config.clock(),
    )
    text = call.body.text.strip()
    if not text:
        raise errors.BadRequest("bad_request", texts.TEXT_REQUIRED)
    if len(text) > config.max_text_chars:
        raise errors.BadRequest(
            "text_too_long", texts.TEXT_TOO_LONG.format(limit=config.max_text_chars)
        )
    turn = await call.app[keys.INTAKE].handle_text(CHANNEL, who.openid, text)
    return Turn(reply=turn.reply, state=turn.state, case_code=turn.case_code)
