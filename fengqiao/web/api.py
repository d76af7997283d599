"""Public JSON API: health, case progress, the OpenAPI document."""

from __future__ import annotations

import os

from aiohttp import web

from fengqiao import keys
from fengqiao.cases.service import CaseNotFound
from fengqiao.web.errors import ApiError
from fengqiao.web.openapi import build_spec, documented

PROGRESS_SCHEMA = {
    "type": "object",
    "required": ["code", "status", "status_name", "steps"],
    "properties": {
        "code": {"type": "string"},
        "status": {"type": "string"},
        "status_name": {"type": "string"},
        "type": {"type": "string"},
        "type_name": {"type": "string"},
        "filed_at": {"type": "string"},
        "next_deadline": {"type": "string", "nullable": True},
        "steps": {"type": "array", "items": {"type": "object"}},
    },
}


@documented(
    "Service health: database and key-value store",
    response={"type": "object", "required": ["status"]},
    errors=(503,),
)
async def healthz(request: web.Request) -> web.Response:
    db_ok = await request.app[keys.DB].ping()
    kv_ok = await request.app[keys.KV].ping()
    settings = request.app[keys.SETTINGS]
    body = {
        "status": "ok" if db_ok and kv_ok else "degraded",
        "database": {
            "ok": db_ok,
            "engine": "sqlite" if request.app[keys.DB].is_sqlite else "postgresql",
        },
        # "embedded": the store's SQLite file in the data directory (sessions survive a
        # restart), not memory, which is what an operator would take "memory" to mean.
        "store": {"ok": kv_ok, "engine": "redis" if settings.redis_url else "embedded"},
        "worker": os.getpid(),
    }
    return web.json_response(body, status=200 if db_ok and kv_ok else 503)


@documented(
    "Public progress of a case by its code (no personal data)",
    response=PROGRESS_SCHEMA,
    errors=(404,),
    parameters=[{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
)
async def case_progress(request: web.Request) -> web.Response:
    try:
        body = await request.app[keys.CASES].progress(request.match_info["code"])
    except CaseNotFound:
        raise ApiError(404, "case_not_found", "案件编号不存在或有误，请核对后重试") from None
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(build_spec(request.app))


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/v1/cases/{code}/progress", case_progress)
    app.router.add_get("/api/v1/openapi.json", openapi)
