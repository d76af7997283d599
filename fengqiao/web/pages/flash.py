"""One-time messages shown on the next console page, kept in the console session."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from fengqiao import keys
from fengqiao.web.sessions import ConsoleSession


@dataclass(frozen=True)
class Flash:
    """The message, and whether it says what went wrong (shown red, read out at once)."""

    message: str
    error: bool = False

    def __str__(self) -> str:
        return self.message


async def flash(request: web.Request, session: ConsoleSession, message: str, *,
                error: bool = False) -> None:
    session.data["flash"] = message
    session.data["flash_error"] = error
    await request.app[keys.CONSOLE_SESSIONS].save(session)


async def pop_flash(request: web.Request, session: ConsoleSession | None) -> Flash | None:
    if session is None:
        return None
    message = session.data.pop("flash", None)
    error = bool(session.data.pop("flash_error", False))
    if message is not None:
        await request.app[keys.CONSOLE_SESSIONS].save(session)
        return Flash(message, error)
    return None
