"""Booking pages: the resident H5 page (signed link) and the console pages for mediators,
window staff and admins. Plain HTML and JavaScript (no build step) that works in WeChat's
built-in browser and on a phone; the pages call the booking JSON API."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from fengqiao.booking import api, auth
from fengqiao.web.kit.door import by_case, by_token, declare
from fengqiao.web.kit.pages import static_page_csp

STATIC = Path(__file__).resolve().parent / "static"
HEADERS = {
    "Cache-Control": "no-store",
    # A party's token is in the URL: never hand it to another site as a referrer.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
}
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _html(name: str, csrf: str = "") -> web.Response:
    text = (STATIC / name).read_text("utf-8").replace("__CSRF__", html.escape(csrf))
    headers = {**HEADERS, "Content-Security-Policy": static_page_csp(text)}
    return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)


async def party_page(request: web.Request) -> web.Response:
    return _html("party.html")


def console_page(name: str, roles: tuple[str, ...] | None) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        try:
            user = await api.viewer(request)
        except web.HTTPException:
            raise web.HTTPSeeOther("/console/login") from None
        if roles is not None and user.role not in roles:
            raise web.HTTPForbidden(text="没有权限")
        return _html(name, user.csrf)

    return handler


def setup(app: web.Application) -> None:
    r = app.router
    page = {"page": True, "media_type": "text/html"}
    party = declare("booking.party", token_in_path="token", case=by_token(), **page)  # noqa: S106
    r.add_get("/h5/booking/{token}", party(party_page))
    r.add_static("/h5/static/booking/", STATIC, append_version=False)
    mediator_page = declare("calendar.view", **page)(console_page("mediator.html", None))
    r.add_get("/console/booking/", mediator_page)
    r.add_get("/console/booking/{id:\\d+}", mediator_page)
    case_page = declare("booking.view", case=by_case(), **page)(
        console_page("case.html", auth.STAFF_ROLES)
    )
    r.add_get("/console/booking/case/{code}", case_page)
    registry_page = declare("registry.manage", **page)(
        console_page("registry.html", auth.ADMIN_ROLES)
    )
    r.add_get("/console/booking/registry", registry_page)
