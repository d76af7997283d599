"""Pages for people: the staff console, the leaders' dashboard, the residents' H5 pages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from fengqiao import keys
from fengqiao.cases.outbox import OutboxDispatcher, WeChatNotifier
from fengqiao.cases.scheduler import Scheduler
from fengqiao.settings import Settings
from fengqiao.storage.kv import KeyValueStore
from fengqiao.web.kit.pages import make_templates
from fengqiao.web.pages import booking, console, dashboard, documents
from fengqiao.web.sessions import SessionStore

STATIC = Path(__file__).resolve().parent.parent / "static"


def setup(app: web.Application) -> None:
    app[keys.TEMPLATES] = make_templates()
    console.routes.setup(app)
    dashboard.routes.setup(app)
    documents.setup(app)
    booking.setup(app)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)


def session_store(kv: KeyValueStore, settings: Settings) -> SessionStore:
    return SessionStore(kv, settings.secret, secure=settings.public_url.startswith("https://"))


async def background(app: web.Application) -> AsyncIterator[None]:
    """Runs the supervision scheduler (and the outbox) in every worker while the app runs."""
    if not app.get(keys.RUN_SCHEDULER, True):
        yield
        return
    cases = app[keys.CASES]
    settings = app[keys.SETTINGS]
    notifier = app.get(keys.NOTIFIER)
    if notifier is None and (settings.wechat_appid or settings.wxa_appid):
        notifier = WeChatNotifier(
            app.get(keys.WECHAT) if settings.wechat_appid else None,
            app.get(keys.WXA) if settings.wxa_appid else None,
        )
    # Without WeChat configured, notices stay pending in the outbox until it is.
    dispatcher = OutboxDispatcher(cases.db, notifier, cases.config)
    stop = asyncio.Event()
    task = asyncio.create_task(Scheduler(cases, dispatcher).run(stop))
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)
