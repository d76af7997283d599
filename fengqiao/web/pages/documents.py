"""Resident pages of the documents feature: sign, verify, evidence, delivery, and a party's
case space (progress, messages with the mediator, evidence).

Plain HTML and JavaScript (no build step) that works in WeChat's built-in browser. The pages
carry their texts; they call the JSON API with the token from their own URL. The door checks
the link before the page is served, so an expired or wrong link gets a Chinese page saying
so instead of a form that fails later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from fengqiao.web.kit import requester as req
from fengqiao.web.kit.door import Call, Handler, Routes, by_case, by_document
from fengqiao.web.kit.pages import static_page_csp

STATIC = Path(__file__).resolve().parent.parent / "static" / "documents"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # The link's token is in the URL: never send it to another site as a referrer.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
}
routes = Routes()


def _page(name: str) -> Handler:
    path = STATIC / name

    async def handler(call: Call[Any, Any]) -> web.Response:
        text = path.read_text("utf-8")
        return web.Response(
            text=text,
            content_type="text/html",
            charset="utf-8",
            headers={**PAGE_HEADERS, "Content-Security-Policy": static_page_csp(text)},
        )

    handler.__name__ = name.replace(".", "_")
    return handler


PAGE = {"page": True, "media_type": "text/html"}
_sign_page = _page("sign.html")


@routes.get("/h5/sign/{doc}", "document.view", case=by_document(), **PAGE)
async def sign_page(call: Call[Any, Any]) -> web.Response:
    """A party's signing page. Staff signed in to the console (the mediator following a link
    to it) sign on the console's agreement page, where their session's form token is."""
    if isinstance(call.who, req.Staff):
        location = f"/console/agreements/{quote(call.path('doc'), safe='')}#signing"
        return web.Response(status=303, headers={"Location": location})
    return await _sign_page(call)


routes.get("/h5/verify", "public", **PAGE)(_page("verify.html"))
routes.get("/h5/evidence/{code}", "evidence.view", case=by_case(), **PAGE)(_page("evidence.html"))
_case_page = _page("case.html")


@routes.get("/h5/case/{code}", "case.messages", case=by_case(), **PAGE)
async def case_page(call: Call[Any, Any]) -> web.Response:
    """A party's case space, opened by their case link (cases/case_link.py) or the
    mini-program's web-view: progress, their thread with the mediator, the case's evidence.
    Staff are sent to the console's case page, where every party's thread is answered."""
    if isinstance(call.who, req.Staff):
        location = f"/console/cases/{quote(call.path('code'), safe='')}"
        return web.Response(status=303, headers={"Location": location})
    return await _case_page(call)
routes.get("/h5/delivery/{doc}", "delivery.open", case=by_document(), **PAGE)(
    _page("delivery.html")
)


def setup(app: web.Application) -> None:
    routes.setup(app)
    app.router.add_static("/h5/static/documents/", STATIC, append_version=False)
