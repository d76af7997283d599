"""Shared plumbing for server-rendered pages: Jinja2 environment, rendering with safe headers,
and the signed-in staff member of a request."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from fengqiao import keys
from fengqiao.accounts import ROLE_NAMES, Staff, get_user
from fengqiao.web import console_texts as T
from fengqiao.web.access import StaffIdentity, default_staff_check
from fengqiao.web.sessions import ConsoleSession, SessionStore, csrf_ok

# No inline scripts or styles: everything comes from /static/, nothing from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def make_templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fengqiao.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["T"] = T
    env.globals["ROLE_NAMES"] = ROLE_NAMES
    return env


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    html = request.app[keys.TEMPLATES].get_template(template).render(**context)
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        headers={
            "Content-Security-Policy": CSP,
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )


def sessions(request: web.Request) -> SessionStore:
    return request.app[keys.CONSOLE_SESSIONS]


async def signed_in(request: web.Request) -> tuple[Staff, ConsoleSession] | None:
    session = await sessions(request).load(request)
    if session is None:
        return None
    user = await get_user(request.app[keys.DB], session.user_id)
    if user is None:
        return None
    return user, session


async def console_staff(request: web.Request) -> StaffIdentity | None:
    """The console session as the API's staff check: cookie-authenticated writes must carry
    the session's CSRF token in X-CSRF-Token, or they are treated as anonymous."""
    found = await signed_in(request)
    if found is None:
        return await default_staff_check(request)
    user, session = found
    if request.method not in ("GET", "HEAD", "OPTIONS") and not csrf_ok(
        session, request.headers.get("X-CSRF-Token")
    ):
        return None
    return StaffIdentity(id=user.actor, name=user.display_name, role=user.role)


async def require_staff(request: web.Request) -> tuple[Staff, ConsoleSession]:
    """The signed-in staff member, or a redirect to the sign-in page."""
    found = await signed_in(request)
    if found is None:
        raise web.HTTPSeeOther("/console/login")
    return found


async def flash(request: web.Request, session: ConsoleSession, message: str) -> None:
    session.data["flash"] = message
    await sessions(request).save(session)


async def pop_flash(request: web.Request, session: ConsoleSession) -> str | None:
    message = session.data.pop("flash", None)
    if message is not None:
        await sessions(request).save(session)
    return message
