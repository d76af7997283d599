"""The door's middleware: admits each request through its route's declaration (door.py) and
answers every refusal and failure in one way (errors.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.web_urldispatcher import StaticResource

from fengqiao import errors
from fengqiao.web.kit.door import CALL, admit, endpoint_of
from fengqiao.web.kit.errors import answer, http_answer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def undeclared(request: web.Request) -> bool:
    """A route that states no permission: closed, whatever it would have answered."""
    info = request.match_info
    if info.http_exception is not None:  # no such path, or wrong method: answered below
        return False
    return not isinstance(info.route.resource, StaticResource)


@web.middleware
async def door(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        spec = endpoint_of(request)
        if spec is not None:
            request[CALL] = await admit(request, spec)
        elif undeclared(request):
            raise errors.Forbidden("undeclared", "没有权限进行此操作")
        return await handler(request)
    except web.HTTPException as exc:
        found = http_answer(request, exc)
        if found is None:
            raise
        return found
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place every failure is answered
        return answer(request, exc)
