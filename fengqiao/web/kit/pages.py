"""Server-rendered pages: the Jinja2 environment and rendering with safe headers."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import jinja2
from aiohttp import web

from fengqiao import keys, policy
from fengqiao.web import console_texts as T

# No inline scripts or styles: everything comes from /static/, nothing from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def make_templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fengqiao.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["T"] = T
    env.globals["ROLE_NAMES"] = policy.ROLE_NAMES
    return env


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    templates = request.app.get(keys.TEMPLATES) or _fallback()
    html = templates.get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", headers=PAGE_HEADERS)


_FALLBACK: list[jinja2.Environment] = []


def _fallback() -> jinja2.Environment:
    # An app without the console still renders its error pages.
    if not _FALLBACK:
        _FALLBACK.append(make_templates())
    return _FALLBACK[0]


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def static_page_csp(html: str, frame_ancestors: str = "'self'") -> str:
    """A CSP for a static page that allows exactly its own inline scripts, by hash: nothing
    injected into it can run, and the page's authors may keep a script beside its markup."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
        f"frame-ancestors {frame_ancestors}; form-action 'self'; base-uri 'none'"
    )
