"""Typed application keys: dependencies are built once in app.py and reached through these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import jinja2

    from fengqiao.booking.build import BookingServices
    from fengqiao.bot.client import WeChatClient
    from fengqiao.bot.limits import BotConfig
    from fengqiao.bot.mp import MpBot
    from fengqiao.cases.outbox import Notifier
    from fengqiao.cases.scope import CaseScopes
    from fengqiao.cases.service import CaseService
    from fengqiao.dialogs.service import IntakeService
    from fengqiao.documents.service import DocumentService
    from fengqiao.settings import Settings
    from fengqiao.storage.db import Database
    from fengqiao.storage.files import FileStore
    from fengqiao.storage.kv import KeyValueStore
    from fengqiao.tokens import Signer
    from fengqiao.web.sessions import SessionStore

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
DB: web.AppKey[Database] = web.AppKey("db")
KV: web.AppKey[KeyValueStore] = web.AppKey("kv")
FILES: web.AppKey[FileStore] = web.AppKey("files")
CASES: web.AppKey[CaseService] = web.AppKey("cases")
INTAKE: web.AppKey[IntakeService] = web.AppKey("intake")
BOOKING: web.AppKey[BookingServices] = web.AppKey("booking")
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates")
CONSOLE_SESSIONS: web.AppKey[SessionStore] = web.AppKey("console_sessions")
# The WeChat client that sends the outbox (fengqiao.bot's client); unset: notices wait.
NOTIFIER: web.AppKey[Notifier] = web.AppKey("notifier")
# False in tests that drive the scheduler themselves.
RUN_SCHEDULER: web.AppKey[bool] = web.AppKey("run_scheduler")
# WeChat edges (fengqiao/bot): the official account's API client, the mini-program's, the
# callback's state, and the edges' tunables.
WECHAT: web.AppKey[WeChatClient] = web.AppKey("wechat")
WXA: web.AppKey[WeChatClient] = web.AppKey("wxa")
WECHAT_MP: web.AppKey[MpBot] = web.AppKey("wechat_mp")
BOT_CONFIG: web.AppKey[BotConfig] = web.AppKey("bot_config")
DOCUMENTS: web.AppKey[DocumentService] = web.AppKey("documents")
# The one signer of every token (fengqiao/tokens.py) and the case lookups the door asks.
SIGNER: web.AppKey[Signer] = web.AppKey("signer")
SCOPES: web.AppKey[CaseScopes] = web.AppKey("scopes")
