"""Dashboard page (/dashboard/), the statistics and audit APIs, the console's JSON case list,
and the resident's public progress page (/h5/progress)."""

from __future__ import annotations

import json

from aiohttp import web

from fengqiao import keys
from fengqiao.accounts import Staff
from fengqiao.cases.errors import CaseNotFound
from fengqiao.web import console_texts as T
from fengqiao.web.console import filter_from
from fengqiao.web.errors import ApiError
from fengqiao.web.openapi import documented
from fengqiao.web.pages import render, require_staff, signed_in

SERIES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "name": {"type": "string"},
            "total": {"type": "integer"},
            "closed": {"type": "integer"},
            "resolution_rate": {"type": "number", "nullable": True},
        },
    },
}
STATS_SCHEMA = {
    "type": "object",
    "required": ["total", "closed", "resolution_rate", "overdue", "by_type"],
    "properties": {
        "total": {"type": "integer"},
        "closed": {"type": "integer"},
        "resolution_rate": {"type": "number", "nullable": True},
        "satisfaction_rate": {"type": "number", "nullable": True},
        "rated": {"type": "integer"},
        "cycle_days_avg": {"type": "number", "nullable": True},
        "cycle_days_p90": {"type": "integer", "nullable": True},
        "overdue": {"type": "object"},
        "by_type": SERIES,
        "by_month": SERIES,
        "by_region": SERIES,
        "by_risk": SERIES,
        "by_organisation": SERIES,
        "refreshed_at": {"type": "string", "nullable": True},
    },
}


async def _api_staff(request: web.Request, permission: str) -> Staff:
    found = await signed_in(request)
    if found is None:
        raise ApiError(401, "not_signed_in", T.NOT_SIGNED_IN)
    if not found[0].can(permission):
        raise ApiError(403, "forbidden", T.FORBIDDEN)
    return found[0]


@documented(
    "Statistics for the dashboard: 化解率, satisfaction, cycle times, overdue, breakdowns "
    "(console session cookie)",
    response=STATS_SCHEMA,
    errors=(401, 403),
)
async def stats_api(request: web.Request) -> web.Response:
    await _api_staff(request, "dashboard")
    body = await request.app[keys.CASES].stats()
    return web.json_response(body, dumps=lambda o: json.dumps(o, ensure_ascii=False))


@documented(
    "Verify the hash-chained audit log; names the first broken entry (console session cookie)",
    response={
        "type": "object",
        "required": ["ok", "entries"],
        "properties": {
            "ok": {"type": "boolean"},
            "entries": {"type": "integer"},
            "first_broken_id": {"type": "integer", "nullable": True},
            "reason": {"type": "string", "nullable": True},
        },
    },
    errors=(401, 403),
)
async def audit_verify_api(request: web.Request) -> web.Response:
    await _api_staff(request, "audit")
    report = await request.app[keys.CASES].verify_audit()
    return web.json_response(
        {
            "ok": report.ok,
            "entries": report.entries,
            "first_broken_id": report.first_broken_id,
            "reason": report.reason,
        }
    )


@documented(
    "Console case list: filters status, type, risk, organisation, overdue=1, q (code or the "
    "start of a name), before (keyset page); names masked (console session cookie)",
    response={"type": "object", "required": ["items"]},
    errors=(401, 403),
    parameters=[
        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
        for n in ("status", "type", "risk", "organisation", "overdue", "q", "before")
    ],
)
async def cases_api(request: web.Request) -> web.Response:
    user = await _api_staff(request, "view")
    page = await request.app[keys.CASES].list_cases(filter_from(request.query, user))
    return web.json_response(page, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def dashboard(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    if not user.can("dashboard"):
        raise web.HTTPForbidden(text=T.FORBIDDEN)
    return render(
        request,
        "dashboard.html.j2",
        {"user": user, "csrf": session.csrf, "labels": json.dumps(T.DASHBOARD, ensure_ascii=False)},
    )


async def progress_page(request: web.Request) -> web.Response:
    """The same answer as GET /api/v1/cases/{code}/progress, readable on a phone."""
    code = (request.query.get("code") or "").strip()[:32]
    progress, error = None, None
    if code:
        try:
            progress = await request.app[keys.CASES].progress(code)
        except CaseNotFound:
            error = T.PROGRESS["not_found"]
    settings = request.app[keys.SETTINGS]
    return render(
        request,
        "progress.html.j2",
        {
            "code": code,
            "progress": progress,
            "error": error,
            "centre": settings.centre_name,
            "hint": T.PROGRESS["hint"].format(hotline=settings.hotline),
        },
        status=404 if error else 200,
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/stats", stats_api)
    app.router.add_get("/api/v1/audit/verify", audit_verify_api)
    app.router.add_get("/api/v1/console/cases", cases_api)
    app.router.add_get("/dashboard/", dashboard)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/h5/progress", progress_page)
