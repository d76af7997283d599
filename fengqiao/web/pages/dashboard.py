"""The leaders' dashboard (/dashboard/) and the resident's public progress page."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fengqiao import keys
from fengqiao.cases.errors import CaseNotFound
from fengqiao.web import console_texts as T
from fengqiao.web.kit.door import Call, Routes
from fengqiao.web.kit.limits import limit_lookup
from fengqiao.web.kit.pages import render

routes = Routes()


@routes.get("/dashboard/", "dashboard.view", page=True)
async def dashboard(call: Call[Any, Any]) -> web.Response:
    staff = call.staff
    return render(
        call.request,
        "dashboard.html.j2",
        {
            "user": staff.user,
            "csrf": staff.session.csrf if staff.session else "",
            "labels": json.dumps(T.DASHBOARD, ensure_ascii=False),
        },
    )


routes.get("/dashboard", "dashboard.view", page=True)(dashboard)


@routes.get("/h5/progress", "public", page=True)
async def progress_page(call: Call[Any, Any]) -> web.Response:
    """The same answer as GET /api/v1/cases/{code}/progress, readable on a phone."""
    code = (call.request.query.get("code") or "").strip()[:32]
    progress, error = None, None
    if code:
        await limit_lookup(call.request)
        try:
            progress = await call.app[keys.CASES].progress(code)
        except CaseNotFound:
            error = T.PROGRESS["not_found"]
    settings = call.app[keys.SETTINGS]
    return render(
        call.request,
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
