"""Public JSON API: health, case progress by code, the OpenAPI description."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fengqiao import keys
from fengqiao.web.kit.door import Call, Routes
from fengqiao.web.kit.limits import limit_lookup
from fengqiao.web.kit.openapi import build_spec
from fengqiao.web.kit.replies import reply

routes = Routes()

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
        "next_deadline": {"type": ["string", "null"]},
        "steps": {"type": "array", "items": {"type": "object"}},
    },
}
HEALTH_SCHEMA = {
    "type": "object",
    "required": ["status", "database", "store"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "database": {"type": "object"},
        "store": {"type": "object"},
    },
}


@routes.get(
    "/healthz",
    "public",
    summary="Service health: database and key-value store",
    response=HEALTH_SCHEMA,
    errors=(503,),
)
async def healthz(call: Call[Any, Any]) -> web.Response:
    db, kv = call.app[keys.DB], call.app[keys.KV]
    db_ok, kv_ok = await db.ping(), await kv.ping()
    body = {
        "status": "ok" if db_ok and kv_ok else "degraded",
        "database": {"ok": db_ok, "engine": "sqlite" if db.is_sqlite else "postgresql"},
        # "embedded": the store's SQLite file in the data directory (sessions survive a
        # restart), not memory, which is what an operator would take "memory" to mean.
        "store": {
            "ok": kv_ok,
            "engine": "redis" if call.app[keys.SETTINGS].redis_url else "embedded",
        },
    }
    return reply(body, status=200 if db_ok and kv_ok else 503)


@routes.get(
    "/api/v1/cases/{code}/progress",
    "public",
    summary="Public progress of a case by its code (no personal data)",
    response=PROGRESS_SCHEMA,
    errors=(404, 429),
)
async def case_progress(call: Call[Any, Any]) -> Any:
    await limit_lookup(call.request, case_code=call.path("code"))
    return await call.app[keys.CASES].progress(call.path("code"))


@routes.get("/api/v1/openapi.json", "public", summary="This description")
async def openapi(call: Call[Any, Any]) -> web.Response:
    return web.json_response(build_spec(call.app))
