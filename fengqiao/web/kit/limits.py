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


async def limit_lookup(request: web.Request, *, case_code: str | None = None) -> None:
    """Public look-ups by case or document code share one limit, whichever door they use.

    A party reading their own case (``case_code``) with a live link of that case is no
    look-up: they know the case, and behind a shared address (NAT) strangers' look-ups must
    not lock them out of it. Their requests count only against the API's per-address limit
    (guard.py)."""
    if case_code is not None and await _own_case_link(request, case_code):
        return
    await limit(request, "lookup", request.app[keys.SETTINGS].lookups_per_minute_per_ip)


async def _own_case_link(request: web.Request, case_code: str) -> bool:
    from fengqiao.web.kit import requester as req  # the requester imports nothing of this

    token = req.presented_token(request)
    if token is None:
        return False
    who = req.party(request, token)
    if not isinstance(who, req.Party) or who.claims.case_id is None:
        return False
    scope = await request.app[keys.SCOPES].by_code(case_code)
    return scope is not None and scope.id == who.claims.case_id
