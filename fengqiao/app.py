"""Builds the aiohttp Application: settings -> storage -> services -> routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from fengqiao import bot, keys
from fengqiao.bot.notifiers import WeChatLinkNotifier, WeChatNotifier
from fengqiao.cases.case_link import CaseLinks
from fengqiao.cases.outbox import OutboxDispatcher
from fengqiao.cases.reach import Ways
from fengqiao.cases.scheduler import Scheduler
from fengqiao.cases.subscriptions import load_templates
from fengqiao.services import build_services
from fengqiao.settings import Settings
from fengqiao.sms import build_link_sender
from fengqiao.web import api, pages
from fengqiao.web.guard import make_guard
from fengqiao.web.kit.h5_session import exchange_ticket
from fengqiao.web.kit.middleware import PARSER_MAX_LINE, door
from fengqiao.web.sessions import SessionStore

log = logging.getLogger("fengqiao.app")


def create_app(settings: Settings, *, migrate: bool = True) -> web.Application:
    settings = settings.with_secret()
    guard = make_guard(
        settings.trusted_proxies,
        settings.api_requests_per_minute_per_ip,
        secure=settings.public_url.startswith("https://"),
    )
    app = web.Application(
        middlewares=[guard, exchange_ticket, door],
        client_max_size=settings.max_body_bytes * 64,
        handler_args={"max_line_size": PARSER_MAX_LINE},
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
        app[keys.CONSOLE_SESSIONS] = SessionStore(
            built.kv, settings.secret, secure=settings.public_url.startswith("https://")
        )
        app[keys.BOOKING] = built.booking
        app[keys.SIGNER] = built.signer
        app[keys.SCOPES] = built.scopes
        yield
        await built.close()

    app.cleanup_ctx.append(services)
    api.setup(app)
    pages.setup(app)
    bot.setup(app)  # after the services context: it needs keys.KV
    app.cleanup_ctx.append(_wechat_delivery)  # after bot: documents go out through keys.WECHAT
    app.cleanup_ctx.append(_background)  # after bot: it sends through keys.WECHAT
    app.cleanup_ctx.append(_document_follow_ups)  # delivery reminders, paper service
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
    """Signing and delivery links go out by the party's own channels: the mini-program's
    client for mini-program openids, the official account's for its own."""
    settings = app[keys.SETTINGS]
    if (settings.wechat_appid or settings.wxa_appid) and keys.WECHAT in app:
        notifications = app[keys.CASES].config.notifications
        by_sms = notifications.get("sms", {}).get("notices")
        sms = app[keys.DOCUMENTS].otp.sender if by_sms else None
        # A party served by SMS gets the link through the link template, when there is one.
        sms_links = build_link_sender(settings)
        ways = Ways(
            templates=load_templates(notifications) if settings.wxa_appid else {},
            mp_ready=bool(settings.wechat_appid),
            sms_ready=sms is not None or sms_links is not None,
        )
        app[keys.DOCUMENTS].use_notifier(
            WeChatLinkNotifier(
                app[keys.DB],
                ways,
                mp=app[keys.WECHAT] if settings.wechat_appid else None,
                wxa=app[keys.WXA] if settings.wxa_appid else None,
                template_id=str(notifications.get("mp", {}).get("document_template_id") or ""),
                sms=sms,
                sms_links=sms_links,
            )
        )
    yield


async def _background(app: web.Application) -> AsyncIterator[None]:
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
    # Without WeChat configured (development, the demo) notices are written to dev-messages.txt
    # by the documents' notifier (LogNotifier), like signing and delivery links, and the row
    # says so; each notice naming a party carries that party's own case link.
    dispatcher = OutboxDispatcher(
        cases.db, notifier, cases.config, app[keys.DOCUMENTS].otp.sender,
        links=CaseLinks(settings.secret, settings.public_url),
        inbox=app[keys.DOCUMENTS].notifier,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(Scheduler(cases, dispatcher).run(stop))
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)


# Hourly: remind recipients who have not opened a delivered document, hand long-unopened ones
# to staff for paper service, remind of the judicial-confirmation deadline on days 20 and 27.
FOLLOW_UP_EVERY = 3600.0


async def _document_follow_ups(app: web.Application) -> AsyncIterator[None]:
    if not app.get(keys.RUN_SCHEDULER, True):
        yield
        return

    async def loop() -> None:
        while True:
            try:
                done = await app[keys.DOCUMENTS].follow_up()
                if any(done.values()):
                    log.info("delivery follow-up: %s", done)
            except Exception:  # noqa: BLE001 - one failed run must not stop the next
                log.exception("delivery follow-up failed")
            await asyncio.sleep(FOLLOW_UP_EVERY)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
