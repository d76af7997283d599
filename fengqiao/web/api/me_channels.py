"""How the signed-in resident can be reached: the subscribe messages they granted and the
phone number they authorised. The mini-program asks which template ids to request, reports
what the resident answered in wx.requestSubscribeMessage, and hands over the code of a
getPhoneNumber button; the rules live in fengqiao.cases.subscriptions and .identity."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from fengqiao import errors, keys
from fengqiao.bot.client import InvalidLoginCode, WeChatError
from fengqiao.cases.identity import NAMES
from fengqiao.cases.subscriptions import TITLES
from fengqiao.nlp import pii
from fengqiao.web.kit import requester as req
from fengqiao.web.kit.door import Call, Routes
from fengqiao.web.kit.limits import limit
from fengqiao.web.kit.models import Body

routes = Routes()

PHONE_CODE_INVALID = "手机号授权已失效，请重新点击授权"
WECHAT_UNAVAILABLE = "微信服务暂时不可用，请稍后再试"
NOT_CONFIGURED = "小程序尚未配置，暂不能获取手机号"


class Subscription(BaseModel):
    kind: Literal["progress", "booking", "reminder", "signing", "delivery"]
    title: str = Field(description="what the notice is, in Chinese")
    template_id: str = Field(description="pass to wx.requestSubscribeMessage tmplIds")
    left: int = Field(description="accepted one-time subscriptions not used yet")


class Subscriptions(BaseModel):
    subscriptions: list[Subscription]


class Grants(Body):
    answers: dict[
        str, Literal["accept", "reject", "ban", "filter"]
    ] = Field(
        max_length=20,
        description="what wx.requestSubscribeMessage returned: template id -> answer",
    )


class PhoneCode(Body):
    code: str = Field(min_length=1, max_length=128, description="the code from getPhoneNumber")


class Reach(BaseModel):
    phone: str = Field(description="the verified number, masked")
    channels: list[str] = Field(description="how the platform can reach you: 公众号, 小程序, 短信")


def _openid(call: Call[Any, Any]) -> str:
    who = call.who
    assert isinstance(who, req.Resident)  # the door let only a mini-program session in
    return who.openid


async def _offer(call: Call[Any, Any]) -> Subscriptions:
    cases = call.app[keys.CASES]
    left = await cases.subscriptions_left(_openid(call))
    return Subscriptions(
        subscriptions=[
            Subscription(kind=k, title=TITLES[k], template_id=t.id, left=left.get(k, 0))  # type: ignore[arg-type]
            for k, t in cases.templates.items()
        ]
    )


@routes.get(
    "/api/v1/me/subscriptions",
    "resident",
    response=Subscriptions,
    summary="The subscribe-message templates to request, one per kind of notice, and how "
    "many accepted ones are left",
)
async def subscriptions(call: Call[Any, Any]) -> Subscriptions:
    return await _offer(call)


@routes.post(
    "/api/v1/me/subscriptions",
    "resident",
    body=Grants,
    response=Subscriptions,
    summary="Record what the resident answered in wx.requestSubscribeMessage",
)
async def record(call: Call[Grants, Any]) -> Subscriptions:
    await call.app[keys.CASES].record_grants(_openid(call), dict(call.body.answers))
    return await _offer(call)


@routes.post(
    "/api/v1/me/phone",
    "resident",
    body=PhoneCode,
    response=Reach,
    summary="Verify the resident's phone number through WeChat's phone authorisation",
    errors=(400, 429, 503),
)
async def phone(call: Call[PhoneCode, Any]) -> Reach:
    config = call.app[keys.BOT_CONFIG]
    await limit(call.request, "ip", config.ip_requests_per_minute, now=config.clock())
    if not call.app[keys.SETTINGS].wxa_appid:
        raise errors.Unavailable("wechat_unavailable", NOT_CONFIGURED)
    try:
        number = await call.app[keys.WXA].phone_number(call.body.code)
    except InvalidLoginCode:
        raise errors.BadRequest("invalid_code", PHONE_CODE_INVALID) from None
    except WeChatError:
        raise errors.Unavailable("wechat_unavailable", WECHAT_UNAVAILABLE) from None
    cases = call.app[keys.CASES]
    openid = _openid(call)
    await cases.verify_phone("wxa", openid, number)
    found = await cases.channels_of_openid(openid)
    kinds = {c.kind for c in found}
    return Reach(
        phone=pii.mask(number), channels=[NAMES[k] for k in ("mp", "wxa", "phone") if k in kinds]
    )
