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

# A URL longer than any link the platform makes (a party link is a few hundred bytes) is a 414
# answered like every refusal (JSON under /api/). The HTTP parser's own limit on the request
# line (app.py passes it as max_line_size) is set above this one so such a URL reaches us: what
# the parser refuses (a longer line, a header with a forbidden byte) is answered by aiohttp
# itself in plain text before any middleware runs, and aiohttp offers no hook to change that
# (aio-libs/aiohttp#3287); behind nginx, nginx refuses those first.
MAX_URL_BYTES = 8190
PARSER_MAX_LINE = 64 * 1024


def undeclared(request: web.Request) -> bool:
    """A route that states no permission: closed, whatever it would have answered."""
    info = request.match_info
    if info.http_exception is not None:  # no such path, or wrong method: answered below
        return False
    return not isinstance(info.route.resource, StaticResource)


@web.middleware
async def door(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if len(request.raw_path) > MAX_URL_BYTES:
            raise web.HTTPRequestURITooLong()
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
