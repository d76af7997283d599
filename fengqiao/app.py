"""Builds the aiohttp Application: settings -> storage -> services -> routes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

from aiohttp import web

from fengqiao import bot, keys
from fengqiao.booking import api as booking_api
from fengqiao.documents.notify import WeChatLinkNotifier
from fengqiao.services import build_services
from fengqiao.settings import Settings
from fengqiao.web import api, case_pages, documents_api, documents_jobs, rooms_api, trust_api
from fengqiao.web.errors import error_middleware
from fengqiao.web.guard import make_guard


def create_app(settings: Settings, *, migrate: bool = True) -> web.Application:
    settings = settings.with_secret()
    guard = make_guard(
        settings.trusted_proxies,
        settings.api_requests_per_minute_per_ip,
        secure=settings.public_url.startswith("https://"),
    )
    app = web.Application(
        middlewares=[guard, error_middleware], client_max_size=settings.max_body_bytes * 64
    )
    app[keys.SETTINGS] = settings

    async def services(app: web.Application) -> AsyncIterator[None]:
        built = await build_services(settings, migrate=migrate)
        app[keys.DB] = built.db
        app[keys.KV] = built.kv
        app[keys.FILES] = built.files
        app[keys.CASES] = built.cases
        app[keys.INTAKE] = built.intake
        app[keys.DOCUMENTS] = built.documents
        app[keys.CONSOLE_SESSIONS] = case_pages.session_store(built.kv, settings)
        app[keys.BOOKING] = built.booking
        yield
        await built.close()

    app.cleanup_ctx.append(services)
    api.setup(app)
    case_pages.setup(app)
    booking_api.setup(app)
    bot.setup(app)  # after the services context: it needs keys.KV
    documents_api.setup(app)
    trust_api.setup(app)
    rooms_api.setup(app)
    app.cleanup_ctx.append(_wechat_delivery)  # after bot: documents go out through keys.WECHAT
    app.cleanup_ctx.append(case_pages.background)  # after bot: it sends through keys.WECHAT
    app.cleanup_ctx.append(documents_jobs.follow_ups)  # delivery reminders, paper service
    app.on_startup.append(_settle_heap)  # last: everything long-lived is loaded by now
    return app


_settled = False
# Allocations between young-generation collections (CPython's default: 700). A message's
# turn allocates thousands of short-lived containers, most freed by reference counting long
# before a collection; at 700 the collector ran every few messages over ~4,000 young objects
# (~1 ms each): 14-19 us of every message under the bench's load, against 2-3 us at 5,000
# (measured with gc.callbacks, four runs each).
YOUNG_COLLECTION_EVERY = 5000


async def _settle_heap(app: web.Application) -> None:
    """Move what start-up loaded (dictionaries, the classifier, compiled templates) out of the
    garbage collector's sight: otherwise each full collection walks those few hundred
    thousand objects and stalls every request in flight for over 100 ms. Once per process:
    frozen objects are never collected, so a process that builds many apps (the tests) must
    not freeze each one."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, older, oldest)


async def _wechat_delivery(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    if settings.wechat_appid and keys.WECHAT in app:
        template = app[keys.CASES].config.notifications.get("mp", {}).get("document_template_id")
        app[keys.DOCUMENTS].use_notifier(WeChatLinkNotifier(app[keys.WECHAT], template or ""))
    yield
