"""One-time messages shown on the next console page, kept in the console session."""

from __future__ import annotations

from aiohttp import web

from fengqiao import keys
from fengqiao.web.sessions import ConsoleSession


async def flash(request: web.Request, session: ConsoleSession, message: str) -> None:
    session.data["flash"] = message
    await request.app[keys.CONSOLE_SESSIONS].save(session)


async def pop_flash(request: web.Request, session: ConsoleSession | None) -> str | None:
    if session is None:
        return None
    message = session.data.pop("flash", None)
    if message is not None:
        await request.app[keys.CONSOLE_SESSIONS].save(session)
    return message
