"""Rate limits the door applies: one counter per kind of thing and client address."""

from __future__ import annotations

import time

from aiohttp import web

from fengqiao import errors, keys
from fengqiao.storage.ratelimit import over_limit

WINDOW = 60.0
TOO_MANY = "请求过于频繁，请 {seconds} 秒后再试"


async def limit(
    request: web.Request,
    kind: str,
    per_minute: int,
    *,
    per_address: bool = True,
    now: float | None = None,
) -> None:
    """Count this request against ``kind`` (for its client address, unless ``per_address`` is
    false: then ``kind`` names whom it counts); TooMany past the limit, with the wait."""
    if per_minute <= 0:
        return
    now = time.time() if now is None else now
    key = f"{kind}:{request.remote or 'unknown'}" if per_address else kind
    if await over_limit(request.app[keys.KV], key, per_minute, now=now, window=WINDOW):
        wait = int(WINDOW - now % WINDOW) + 1
        raise errors.TooMany("too_many_requests", TOO_MANY.format(seconds=wait), retry_after=wait)


async def limit_lookup(request: web.Request) -> None:
    """Public look-ups by case or document code share one limit, whichever door they use."""
    await limit(request, "lookup", request.app[keys.SETTINGS].lookups_per_minute_per_ip)
