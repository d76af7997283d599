"""Builds the aiohttp Application: settings -> storage -> services -> routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from fengqiao import keys
from fengqiao.cases.service import CaseService
from fengqiao.settings import Settings
from fengqiao.storage.db import Database
from fengqiao.storage.files import LocalFileStore
from fengqiao.storage.kv import open_store
from fengqiao.storage.migrate import upgrade_async
from fengqiao.web import api
from fengqiao.web.errors import error_middleware


def create_app(settings: Settings, *, migrate: bool = True) -> web.Application:
    settings = settings.with_secret()
    app = web.Application(
        middlewares=[error_middleware], client_max_size=settings.max_body_bytes * 64
    )
    app[keys.SETTINGS] = settings

    async def storage(app: web.Application) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            await upgrade_async(settings.effective_database_url)
        db = Database(settings.effective_database_url)
        kv = open_store(settings.redis_url)
        app[keys.DB] = db
        app[keys.KV] = kv
        app[keys.FILES] = LocalFileStore(settings.data_dir / "files")
        app[keys.CASES] = CaseService(db, settings.config_dir)
        yield
        await kv.close()
        await db.dispose()

    app.cleanup_ctx.append(storage)
    api.setup(app)
    return app
