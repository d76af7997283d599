"""Rate limits the door applies: one counter per kind of thing and client address."""

from __future__ import annotations

import time

from aiohttp import web

from fengqiao import errors, keys
from fengqiao.bot.limits import over_limit

WINDOW = 60.0
TOO_MANY = "请求过于频繁，请 {seconds} 秒后再试"


async def limit(request: web.Request, kind: str, per_minute: int) -> None:
    """Count this request against ``kind`` for its client address; TooMany past the limit."""
    if per_minute <= 0:
        return
    now = time.time()
    key = f"{kind}:{request.remote or 'unknown'}"
    if await over_limit(request.app[keys.KV], key, per_minute, now=now, window=WINDOW):
        wait = int(WINDOW - now % WINDOW) + 1
        raise errors.TooMany("too_many_requests", TOO_MANY.format(seconds=wait), retry_after=wait)


async def limit_lookup(request: web.Request) -> None:
    """Public look-ups by case or document code share one limit, whichever door they use."""
    await limit(request, "lookup", request.app[keys.SETTINGS].lookups_per_minute_per_ip)
