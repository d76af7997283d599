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
    from fengqiao.cases.case_link import generation_of

    scopes = request.app[keys.SCOPES]
    scope = await scopes.by_code(case_code)
    if scope is None or scope.id != who.claims.case_id or who.claims.party_id is None:
        return False
    # A revoked case link is no live link (cases/case_link.py); other purposes have no
    # generations.
    return who.claims.purpose != "case" or (
        await scopes.link_generation(who.claims.party_id) == generation_of(who.claims)
    )


# --- what a party may send through their link (probe 2 #3) ----------------------------------
# A link is a bearer credential that can be forwarded or scripted: what it lets one party
# write is bounded per party (whatever address they write from) and per case.
PARTY_WRITES_PER_MINUTE = 10
PARTY_WRITES_PER_DAY = 200
PARTY_IMAGE_MAX = 10 * 1024 * 1024
PARTY_EVIDENCE_MAX = 20 * 1024 * 1024
CASE_UPLOAD_QUOTA = 200 * 1024 * 1024  # everything parties uploaded to one case by link
DAY = 86400.0
TOO_MANY_TODAY = "今天通过链接发送的内容已达上限（{limit} 条），请明天再试，或致电中心。"
QUOTA_FULL = "本案通过链接上传的文件已达 {limit_mb} MB 上限，请联系调解员。"


def _link_party(request: web.Request) -> int | None:
    from fengqiao.web.kit import requester as req

    who = request.get(req.REQUESTER)
    return who.claims.party_id if isinstance(who, req.Party) else None


async def limit_party_writes(request: web.Request, *, now: float | None = None) -> None:
    """Count a message or upload a party sends by their link: per minute and per day; 429
    past either. Staff and the mini-program's residents are not counted here."""
    party_id = _link_party(request)
    if party_id is None:
        return
    now = time.time() if now is None else now
    key = f"party-writes:{party_id}"
    await limit(request, key, PARTY_WRITES_PER_MINUTE, per_address=False, now=now)
    if await over_limit(request.app[keys.KV], key + ":day", PARTY_WRITES_PER_DAY, now=now,
                        window=DAY):
        wait = int(DAY - now % DAY) + 1
        raise errors.TooMany("too_many_today",
                             TOO_MANY_TODAY.format(limit=PARTY_WRITES_PER_DAY), retry_after=wait)


def upload_limit(request: web.Request, usual: int, party_cap: int) -> int:
    """The largest upload accepted: ``party_cap`` (at most) through a party link."""
    return min(usual, party_cap) if _link_party(request) is not None else usual


async def check_case_quota(request: web.Request, case_id: int, size: int) -> None:
    """413 if a party link's upload would take the case's party uploads over the quota."""
    if _link_party(request) is None:
        return
    from sqlalchemy import func, select

    from fengqiao.storage.models import CaseFile

    async with request.app[keys.DB].read() as session:
        used = await session.scalar(
            select(func.coalesce(func.sum(CaseFile.size), 0)).where(
                CaseFile.case_id == case_id, CaseFile.submitted_by.like("party:%")
            )
        )
    if int(used or 0) + size > CASE_UPLOAD_QUOTA:
        raise errors.TooLarge(
            "case_quota", QUOTA_FULL.format(limit_mb=CASE_UPLOAD_QUOTA // (1024 * 1024))
        )
