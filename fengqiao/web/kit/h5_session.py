"""The mini-program's session inside its web-view, without its long-lived token in a URL.

The mini-program asks ``POST /api/v1/me/ticket`` (its Bearer session) for a ticket that lives
TICKET_SECONDS and opens a web-view on ``/h5/...?ticket=T``. The middleware below spends the
ticket once (stored hashed in the key-value store; a second use finds it spent), sets an
HttpOnly cookie holding a short web session for that resident, and redirects to the same
address without the ticket, so neither the ticket nor any token stays in the page's URL, its
history or a referrer. requester.py recognises the cookie as that Resident on /h5/ pages and
the JSON API they call; what the resident may do is the policy's to say, as for the session.
Logging out of the mini-program ends the resident's web-view sessions and tickets issued before.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from yarl import URL

from fengqiao import errors, keys
from fengqiao.web.kit.errors import answer
from fengqiao.web.kit.requester import H5_COOKIE, h5_resident, h5_session_key, h5_value

TICKET_SECONDS = 60
WEB_SESSION_SECONDS = 2 * 3600  # one sitting: signing, the room, reading a delivery
SPENT = b"-"
TICKET_BAD = "链接已失效，请回到小程序重新打开"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ticket_key(ticket: str) -> str:
    return "h5:ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


async def issue_ticket(app: web.Application, openid: str) -> str:
    ticket = secrets.token_urlsafe(24)
    await app[keys.KV].set(_ticket_key(ticket), h5_value(openid, time.time()), ttl=TICKET_SECONDS)
    return ticket


async def spend_ticket(request: web.Request, ticket: str) -> bytes | None:
    """The ticket's value (resident, issued), once: a second use (or a race with the first),
    or a ticket issued before the resident logged out, gets None."""
    if not ticket or len(ticket) > 64:
        return None
    kv, key = request.app[keys.KV], _ticket_key(ticket)
    value = await kv.get(key)
    if not value or value == SPENT:
        return None
    # Only the first to swap the ticket's value for the spent mark gets it.
    if not await kv.replace_if(key, value, SPENT, ttl=TICKET_SECONDS):
        return None
    return value if await h5_resident(request, value) else None


@web.middleware
async def exchange_ticket(request: web.Request, handler: Handler) -> web.StreamResponse:
    ticket = request.query.get("ticket")
    if ticket is None or not request.path.startswith("/h5/") or request.method != "GET":
        return await handler(request)
    spent = await spend_ticket(request, ticket)
    if spent is None:
        return answer(request, errors.Unauthorized("ticket_invalid", TICKET_BAD))
    value = secrets.token_urlsafe(32)
    # The session keeps the ticket's issue time: a logout ends both (h5_resident).
    await request.app[keys.KV].set(h5_session_key(value), spent, ttl=WEB_SESSION_SECONDS)
    query = {k: v for k, v in request.query.items() if k != "ticket"}
    location = str(URL(request.path).with_query(query))
    response = web.Response(status=303, headers={
        "Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    response.set_cookie(
        H5_COOKIE, value, max_age=WEB_SESSION_SECONDS, path="/", httponly=True,
        samesite="Lax", secure=request.app[keys.SETTINGS].public_url.startswith("https://"),
    )
    return response
