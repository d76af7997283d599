"""The outermost middleware: the client's real address behind a proxy, a per-address limit on
the API, and security headers on every response.

Behind nginx every request comes from the proxy's address; without taking the client's from
X-Forwarded-For, every per-address limit would count all residents of a county as one.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from fengqiao import keys
from fengqiao.storage.kv import StoreUnavailable
from fengqiao.storage.ratelimit import over_limit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Not counted: health checks (load balancers poll them), the spec, and the WeChat callback
# (all of it comes from a handful of Tencent addresses; it limits per WeChat user instead).
_UNLIMITED = ("/healthz", "/api/v1/openapi.json", "/wechat/")
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Party links carry their token in the URL: never hand it to another site as a referrer.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
LIMITED_MESSAGE = "请求过于频繁，请稍后再试"
H5_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'none'"
)


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def networks(entries: list[str] | frozenset[str]) -> Networks:
    """Proxy addresses or networks as written in FENGQIAO_TRUSTED_PROXIES ("10.0.0.0/8")."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


@functools.lru_cache(maxsize=4096)  # the same few proxies, on every request
def _is_trusted(address: str | None, trusted: Networks) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(request: web.Request, trusted: Networks | frozenset[str]) -> str | None:
    """The client's address: X-Forwarded-For's last hop not ours, if a trusted proxy sent it."""
    if not isinstance(trusted, tuple):
        trusted = networks(trusted)
    remote = request.remote
    if not trusted or not _is_trusted(remote, trusted):
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):  # the proxy appends; earlier entries are the client's to forge
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not _is_trusted(hop, trusted):
            return hop
    return remote


def make_guard(trusted_proxies: list[str], per_minute: int, secure: bool) -> Middleware:
    trusted = networks(trusted_proxies)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        address = client_address(request, trusted)
        if address is not None and address != request.remote:
            request = request.clone(remote=address)
        if (
            per_minute > 0
            and request.path.startswith("/api/")
            and not request.path.startswith(_UNLIMITED)
            and await _over(request, f"api-ip:{address or 'unknown'}", per_minute)
        ):
            response: web.StreamResponse = web.json_response(
                {"error": {"code": "too_many_requests", "message": LIMITED_MESSAGE}},
                status=429,
                headers={"Retry-After": "60"},
                dumps=lambda o: json.dumps(o, ensure_ascii=False),
            )
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                _secure(exc.headers, secure, request.path, _token_in_url(request))
                raise
        _secure(response.headers, secure, request.path, _token_in_url(request))
        return response

    return guard


async def _over(request: web.Request, key: str, per_minute: int) -> bool:
    try:
        return await over_limit(request.app[keys.KV], key, per_minute, now=time.time())
    except StoreUnavailable:
        return False  # no counter without the store; the handler answers 503 if it needs it


def _token_in_url(request: web.Request) -> bool:
    return "t" in request.query


def _secure(headers: object, secure: bool, path: str = "", token_in_url: bool = False) -> None:
    for name, value in _HEADERS.items():
        headers.setdefault(name, value)  # type: ignore[attr-defined]
    if token_in_url or path.startswith("/h5/"):
        # Whatever answers (the page, an error page, a redirect), its URL may hold a link's
        # token: no page sends it on as a referrer, even to this site.
        headers["Referrer-Policy"] = "no-referrer"  # type: ignore[index]
    # No framework or version for a scanner to look up.
    headers["Server"] = "fengqiao"  # type: ignore[index]
    if path.startswith("/h5/"):
        # Every resident page, whoever serves it (the room's, booking's and documents' own
        # files included), runs only this site's scripts and can be framed by nobody else.
        headers.setdefault("Content-Security-Policy", H5_CSP)  # type: ignore[attr-defined]
    if secure:
        headers.setdefault(  # type: ignore[attr-defined]
            "Strict-Transport-Security", "max-age=31536000"
        )
