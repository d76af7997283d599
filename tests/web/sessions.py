"""A console user signed in without going through the login form: the same session the
console makes, for tests of the API and pages behind the door."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from fengqiao import keys
from fengqiao.accounts import create_user
from fengqiao.storage.models import StaffUser
from fengqiao.web.sessions import COOKIE

PASSWORD = "Tiaojie-Test-2026!"


async def staff_session(
    app: web.Application,
    username: str,
    name: str | None = None,
    *,
    role: str = "mediator",
    organisation: str | None = None,
    phone: str | None = None,
) -> dict[str, str]:
    """Headers that make a request come from ``username``'s console session (made once)."""
    db = app[keys.DB]
    async with db.read() as session:
        row = await session.scalar(select(StaffUser).where(StaffUser.username == username))
    if row is None:
        user = await create_user(
            db,
            username,
            PASSWORD,
            role,
            display_name=name or username,
            organisation=organisation,
            phone=phone,
        )
        user_id = user.id
    else:
        user_id = row.id
    return await session_headers(app, user_id)


async def session_headers(app: web.Application, user_id: int) -> dict[str, str]:
    store = app[keys.CONSOLE_SESSIONS]

    class _Sink:
        def __init__(self) -> None:
            self.cookies: dict[str, Any] = {}

        def set_cookie(self, name: str, value: str, **_: Any) -> None:
            self.cookies[name] = value

        def del_cookie(self, name: str, **_: Any) -> None:
            self.cookies.pop(name, None)

    class _NoCookies:
        cookies: dict[str, str] = {}

    sink = _Sink()
    console = await store.start(_NoCookies(), sink, user_id)  # type: ignore[arg-type]
    return {"Cookie": f"{COOKIE}={sink.cookies[COOKIE]}", "X-CSRF-Token": console.csrf}
