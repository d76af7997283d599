"""Mini-program edge: login through jscode2session, and the intake dialog over JSON.

A login gives the mini-program a random session token; the key-value store maps (a hash of)
it to the resident's openid until it expires. WeChat's session_key never leaves this module:
it is neither returned nor stored.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator

from fengqiao import errors, keys
from fengqiao.bot import texts
from fengqiao.bot.client import InvalidLoginCode, WeChatError
from fengqiao.web.kit.door import Call, Routes
from fengqiao.web.kit.h5_session import WEB_SESSION_SECONDS
from fengqiao.web.kit.limits import limit
from fengqiao.web.kit.models import Body
from fengqiao.web.kit.requester import Resident, h5_ended_key, wxa_session_key

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


# A structured answer's value: words, a number (amounts), true/false (consent) or null (不知道).
AnswerValue = (
    StrictBool
    | Annotated[StrictInt, Field(ge=-(10**15), le=10**15)]
    | Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]
    | Annotated[str, Field(max_length=2000)]
    | None
)


class IntakeMessage(Body):
    """Either what the resident typed (``text``), or an answer to the prompt (``key`` and
    ``value``), as a mini-program's picker, date field or phone button gives it."""

    text: str | None = Field(
        default=None, min_length=1, max_length=2000, description="what the resident typed"
    )
    key: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[a-z_]+$",
        description="the prompt's key (or, on the review screen, the key of an answer to edit)",
    )
    value: AnswerValue = Field(
        default=None, description="the answer: an option's value, words, a number, an ISO date"
    )

    @model_validator(mode="after")
    def _one_of(self) -> IntakeMessage:
        if (self.text is None) == (self.key is None):
            raise ValueError("请发送 text（文字）或 key 与 value（结构化回答）之一")
        if self.text is not None and "value" in self.model_fields_set:
            raise ValueError("value 只能与 key 一起发送")
        return self


class Option(BaseModel):
    value: str = Field(description="what to send back as the answer's value (or, on review, key)")
    label: str = Field(description="what to show")
    answer: str | None = Field(default=None, description="review: the answer as it stands")


class Prompt(BaseModel):
    """What the dialog waits for now, for a client to draw natively."""

    key: str = Field(description="send it back with the answer")
    kind: Literal["consent", "text", "choice", "phone", "amount", "date", "review", "done"]
    label: str = Field(description="a short title for the field")
    options: list[Option] = Field(
        description="choice and consent: the options; review: every answer, with its key to edit"
    )
    optional: bool = Field(description="whether null (不知道) is an answer")
    step: int = Field(ge=1)
    of: int = Field(ge=1, description="steps in all; may change once the dispute type is known")


class Turn(BaseModel):
    reply: str = Field(description="the dialog's words, as the official account would send them")
    state: Literal["start", "consent", "describe", "confirm_type", "choose_type", "asking",
                   "review", "editing", "filed"] = Field(description="the dialog's step")
    case_code: str | None = Field(description="set on the turn that files the case")
    prompt: Prompt


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
    summary="End the session presented, and the web-view sessions opened before",
)
async def logout(call: Call[Any, Any]) -> LoggedOut:
    who = call.who
    assert isinstance(who, Resident)
    kv = call.app[keys.KV]
    await kv.delete(wxa_session_key(_presented(call)))
    # A web-view cookie (two hours) or a ticket from before must not outlive the logout.
    await kv.set(h5_ended_key(who.openid), repr(time.time()), ttl=WEB_SESSION_SECONDS)
    return LoggedOut()


@routes.post(
    "/api/v1/intake/messages",
    "resident",
    body=IntakeMessage,
    response=Turn,
    summary="Mini-program intake: one message or structured answer to the dispute-intake "
    "dialog; its reply and what it asks next",
    errors=(422, 429),
)
async def intake_message(call: Call[IntakeMessage, Any]) -> Turn:
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
    body, intake = call.body, call.app[keys.INTAKE]
    words = body.text if body.text is not None else body.value
    if isinstance(words, str) and len(words) > config.max_text_chars:
        raise errors.BadRequest(
            "text_too_long", texts.TEXT_TOO_LONG.format(limit=config.max_text_chars)
        )
    if body.key is not None:
        given = "value" in body.model_fields_set
        turn = await intake.handle_answer(CHANNEL, who.openid, body.key, body.value, given=given)
    else:
        text = (body.text or "").strip()
        if not text:
            raise errors.BadRequest("bad_request", texts.TEXT_REQUIRED)
        turn = await intake.handle_text(CHANNEL, who.openid, text)
    return Turn.model_validate(
        {"reply": turn.reply, "state": turn.state, "case_code": turn.case_code,
         "prompt": turn.prompt}
    )
