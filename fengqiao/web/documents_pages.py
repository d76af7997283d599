"""Resident pages of the documents feature: sign, verify, evidence, delivery.

Plain HTML and JavaScript (no build step) that works in WeChat's built-in browser. The
pages carry their texts; they call the JSON API with the token from their own URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static" / "documents"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # The link's token is in the URL: never send it to another site as a referrer.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
}


def _page(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    path = STATIC / name

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            text=path.read_text("utf-8"),
            content_type="text/html",
            charset="utf-8",
            headers=PAGE_HEADERS,
        )

    return handler


def setup_pages(app: web.Application) -> None:
    app.router.add_get("/h5/sign/{doc}", _page("sign.html"))
    app.router.add_get("/h5/verify", _page("verify.html"))
    app.router.add_get("/h5/evidence/{code}", _page("evidence.html"))
    app.router.add_get("/h5/delivery/{doc}", _page("delivery.html"))
    app.router.add_static("/h5/static/documents/", STATIC, append_version=False)
