"""Mini-program edge: login through jscode2session, and the intake dialog over JSON.

A login gives the mini-program a random session token; the key-value store maps (a hash of)
it to the resident's openid until it expires. WeChat's session_key never leaves this module:
it is neither returned nor stored.
"""

from __future__ import annotations

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


class LoginReply(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name
    expires_in: int


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
    ttl = call.app[keys.BOT_CONFIG].wxa_session_ttl_seconds
    token = secrets.token_urlsafe(32)
    await call.app[keys.KV].set(wxa_session_key(token), session.openid, ttl=ttl)
    return LoginReply(token=token, expires_in=int(ttl))


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
