"""WeChat edges: the official-account callback, the mini-program API, the WeChat API client.

Wire into the app with `setup(app)` after the storage context (it needs `keys.KV`); the
dialogs it calls are reached through `keys.INTAKE` at request time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from fengqiao import keys
from fengqiao.bot import mp, wxa
from fengqiao.bot.client import WeChatClient
from fengqiao.bot.limits import BotConfig

# Calls to WeChat: connect quickly or give up; a stuck call must not hold a turn forever.
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10.0, connect=3.0)


async def _wechat_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    kv = app[keys.KV]
    http = aiohttp.ClientSession(timeout=HTTP_TIMEOUT)
    app[keys.WECHAT] = WeChatClient(
        http,
        kv,
        api_base=settings.wechat_api_base,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
    )
    app[keys.WXA] = WeChatClient(
        http,
        kv,
        api_base=settings.wechat_api_base,
        appid=settings.wxa_appid,
        secret=settings.wxa_secret,
    )
    bot = mp.MpBot(app, settings, kv, app[keys.WECHAT])
    app[keys.WECHAT_MP] = bot
    yield
    await bot.close()
    await http.close()


def setup(app: web.Application, config: BotConfig | None = None) -> None:
    app[keys.BOT_CONFIG] = config or BotConfig(
        wxa_session_ttl_seconds=app[keys.SETTINGS].wxa_session_hours * 3600
    )
    app.cleanup_ctx.append(_wechat_context)
    # The WeChat callback proves itself by its signature, and the mini-program's login by the
    # code from wx.login(): both are public at the door.
    app.router.add_get("/wechat/mp", mp.verify_url)
    app.router.add_post("/wechat/mp", mp.receive)
    wxa.routes.setup(app)
