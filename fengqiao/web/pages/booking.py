"""Booking pages: the resident H5 page (booking link) and the console pages for mediators,
window staff and admins. Plain HTML and JavaScript (no build step) that works in WeChat's
built-in browser and on a phone; the pages call the booking JSON API (web/api/booking.py).

The door checks each page's permission first: a bad or expired link gets a Chinese page, a
console page without a session sends the browser to the sign-in page.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from aiohttp import web

from fengqiao.web.kit.door import Call, Handler, Routes, by_case, by_token
from fengqiao.web.kit.pages import static_page_csp

STATIC = Path(__file__).resolve().parent.parent / "static" / "booking"
HEADERS = {
    "Cache-Control": "no-store",
    # A party's token is in the URL: never hand it to another site as a referrer.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
}
PAGE: dict[str, Any] = {"page": True, "media_type": "text/html"}
routes = Routes()


def _page(name: str, *, console: bool = True) -> Handler:
    path = STATIC / name

    async def handler(call: Call[Any, Any]) -> web.Response:
        session = call.staff.session if console else None
        csrf = session.csrf if session else ""
        text = path.read_text("utf-8").replace("__CSRF__", html.escape(csrf))
        headers = {**HEADERS, "Content-Security-Policy": static_page_csp(text)}
        return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)

    handler.__name__ = name.replace(".", "_")
    return handler


routes.get(
    "/h5/booking/{token}",
    "booking.party",
    token_in_path="token",  # noqa: S106 - the name of the path parameter
    case=by_token(),
    **PAGE,
)(_page("party.html", console=False))
mediator_page = _page("mediator.html")
routes.get("/console/booking/", "calendar.view", **PAGE)(mediator_page)
routes.get("/console/booking/{id:\\d+}", "calendar.view", **PAGE)(mediator_page)
routes.get("/console/booking/case/{code}", "booking.view", case=by_case(), **PAGE)(
    _page("case.html")
)
routes.get("/console/booking/registry", "registry.manage", **PAGE)(_page("registry.html"))


def setup(app: web.Application) -> None:
    routes.setup(app)
    app.router.add_static("/h5/static/booking/", STATIC, append_version=False)
