"""One-time messages shown on the next console page, kept in the console session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fengqiao import keys
from fengqiao.web.sessions import ConsoleSession


@dataclass(frozen=True)
class Flash:
    """The message, and whether it says what went wrong (shown red, read out at once)."""

    message: str
    error: bool = False
    # Where the message belongs (an element id: the form that failed) and what was typed
    # there, so the form comes back filled in with the message beside it.
    where: str | None = None
    form: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


async def flash(request: web.Request, session: ConsoleSession, message: str, *,
                error: bool = False, where: str | None = None,
                form: dict[str, Any] | None = None) -> None:
    session.data["flash"] = message
    session.data["flash_error"] = error
    session.data["flash_where"] = where
    session.data["flash_form"] = form or {}
    await request.app[keys.CONSOLE_SESSIONS].save(session)


async def pop_flash(request: web.Request, session: ConsoleSession | None) -> Flash | None:
    if session is None:
        return None
    message = session.data.pop("flash", None)
    error = bool(session.data.pop("flash_error", False))
    where = session.data.pop("flash_where", None)
    form = session.data.pop("flash_form", None) or {}
    if message is not None:
        await request.app[keys.CONSOLE_SESSIONS].save(session)
        return Flash(message, error, where, form)
    return None
