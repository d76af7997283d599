"""Periodic work of the documents services: remind recipients who have not opened a
delivered document, hand long-unopened ones to staff for paper service, and remind parties
and the mediator of the judicial-confirmation deadline on days 20 and 27."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from fengqiao import keys

log = logging.getLogger(__name__)
EVERY_SECONDS = 3600.0


async def follow_ups(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: runs ``DocumentService.follow_up`` hourly while the app runs."""

    async def loop() -> None:
        while True:
            try:
                done = await app[keys.DOCUMENTS].follow_up()
                if any(done.values()):
                    log.info("delivery follow-up: %s", done)
            except Exception:  # noqa: BLE001 - one failed run must not stop the next
                log.exception("delivery follow-up failed")
            await asyncio.sleep(EVERY_SECONDS)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
