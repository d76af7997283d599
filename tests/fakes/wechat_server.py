"""A local fake of WeChat's server API, answering like WeChat does, including its errcodes.

Covers what the service calls: access tokens (`/cgi-bin/token`, `/cgi-bin/stable_token`),
customer-service, template and subscribe messages, media download, the official account's
`/cgi-bin/user/info` (with the unionid when the account is bound to an open platform), and
the mini-program's `/sns/jscode2session` and `/wxa/business/getuserphonenumber`. Openids are
per AppID, as on WeChat: a message to an openid of `owners` sent with another account's token
answers 40003. Everything received is recorded in `calls`; `fail(path, errcode, n)`
makes the next n calls to `path` answer that errcode.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40007: "invalid media_id",
    40013: "invalid appid",
    40014: "invalid access_token",
    40003: "invalid openid",
    40029: "invalid code",
    40125: "invalid appsecret",
    42001: "access_token expired",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
}
BODY: web.RequestKey[Any] = web.RequestKey("body")
AUTHED = (
    "/cgi-bin/message/custom/send",
    "/cgi-bin/message/template/send",
    "/cgi-bin/message/subscribe/send",
    "/cgi-bin/media/get",
    "/cgi-bin/user/info",
    "/wxa/business/getuserphonenumber",
)
SENDS = AUTHED[:3]


RECORDED: web.RequestKey[bool] = web.RequestKey("recorded")


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: Any
    errcode: int


@dataclass
class FakeWeChat:
    accounts: dict[str, str] = field(default_factory=dict)  # appid -> secret
    media: dict[str, bytes] = field(default_factory=dict)
    js_codes: dict[str, str] = field(default_factory=dict)  # login code -> openid
    unionids: dict[str, str] = field(default_factory=dict)  # openid (either account) -> unionid
    owners: dict[str, str] = field(default_factory=dict)  # openid -> the appid it belongs to
    phone_codes: dict[str, str] = field(default_factory=dict)  # getPhoneNumber code -> phone
    delays: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering
    calls: list[Call] = field(default_factory=list)
    token_ttl: int = 7200

    def __post_init__(self) -> None:
        self._failures: dict[str, list[int]] = {}
        self._tokens: dict[str, str] = {}  # valid token -> appid
        self._expired: set[str] = set()
        self._stable: dict[str, str] = {}  # appid -> current stable token
        self._changed = asyncio.Condition()
        self._msgid = 1000
        self.server: TestServer | None = None
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/stable_token", self._stable_token)
        app.router.add_post("/cgi-bin/message/custom/send", self._ok)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        app.router.add_post("/cgi-bin/message/subscribe/send", self._ok)
        app.router.add_get("/cgi-bin/media/get", self._media)
        app.router.add_get("/sns/jscode2session", self._jscode2session)
        app.router.add_get("/cgi-bin/user/info", self._user_info)
        app.router.add_post("/wxa/business/getuserphonenumber", self._phone_number)
        app.middlewares.append(self._middleware)
        self.app = app

    # -- control ------------------------------------------------------------------------------

    async def start(self) -> str:
        self.server = TestServer(self.app, host="127.0.0.1")
        await self.server.start_server()
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def fail(self, path: str, errcode: int, times: int = 1) -> None:
        """The next `times` calls to `path` answer `errcode`."""
        self._failures.setdefault(path, []).extend([errcode] * times)

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001 (as after two hours)."""
        self._expired.update(self._tokens)
        self._tokens.clear()
        self._stable.clear()

    def received(self, path: str, *, ok_only: bool = True) -> list[Any]:
        return [c.body for c in self.calls if c.path == path and (c.errcode == 0 or not ok_only)]

    @property
    def token_fetches(self) -> int:
        return sum(
            1
            for c in self.calls
            if c.path in ("/cgi-bin/token", "/cgi-bin/stable_token") and c.errcode == 0
        )

    async def wait_for(self, path: str, count: int = 1, within: float = 10.0) -> list[Any]:
        """Wait until `count` successful calls to `path` arrived (bounded; not a timing test)."""
        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.received(path)) >= count)
        return self.received(path)

    # -- plumbing -----------------------------------------------------------------------------

    async def _record(self, request: web.Request, body: Any, errcode: int) -> None:
        self.calls.append(Call(request.path, dict(request.query), body, errcode))
        async with self._changed:
            self._changed.notify_all()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        delay = self.delays.get(request.path)
        if delay:
            await asyncio.sleep(delay)
        body: Any = None
        if request.method == "POST":
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                return await self._error(request, raw, 47001)  # data format error
        pending = self._failures.get(request.path)
        if pending:
            return await self._error(request, body, pending.pop(0))
        if request.path in AUTHED:
            token = request.query.get("access_token", "")
            if token in self._expired:
                return await self._error(request, body, 42001)
            if token not in self._tokens:
                return await self._error(request, body, 40001)
            to = (body or {}).get("touser", "") if request.path in SENDS else ""
            owner = self.owners.get(to)
            if owner is not None and owner != self._tokens[token]:
                return await self._error(request, body, 40003)  # another AppID's openid
        request[BODY] = body
        response = await handler(request)
        if request.get(RECORDED):
            return response  # a streamed answer, recorded before it was sent
        errcode = 0
        if response.content_type in ("application/json", "text/plain"):
            errcode = json.loads(response.body).get("errcode", 0)  # type: ignore[arg-type]
        await self._record(request, body, errcode)
        return response

    async def _error(self, request: web.Request, body: Any, errcode: int) -> web.Response:
        await self._record(request, body, errcode)
        return web.json_response({"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error")})

    def _credentials_error(self, appid: str | None, secret: str | None) -> int:
        if appid not in self.accounts:
            return 40013
        if secret != self.accounts[appid]:
            return 40125
        return 0

    def _issue(self, appid: str) -> str:
        token = f"TOKEN-{secrets.token_hex(8)}"
        self._tokens[token] = appid
        return token

    # -- endpoints ----------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        appid, secret = request.query.get("appid"), request.query.get("secret")
        if err := self._credentials_error(appid, secret):
            return web.json_response({"errcode": err, "errmsg": ERRMSG[err]})
        assert appid is not None
        # A new token from /cgi-bin/token invalidates the account's earlier ones.
        for old in [t for t, a in self._tokens.items() if a == appid]:
            del self._tokens[old]
        return web.json_response({"access_token": self._issue(appid), "expires_in": 7200})

    async def _stable_token(self, request: web.Request) -> web.Response:
        body = request[BODY] or {}
        appid, secret = body.get("appid"), body.get("secret")
        if err := self._credentials_error(appid, secret):
            return web.json_response({"errcode": err, "errmsg": ERRMSG[err]})
        token = self._stable.get(appid)
        if token is None or token not in self._tokens or body.get("force_refresh"):
            token = self._issue(appid)
            self._stable[appid] = token
        return web.json_response({"access_token": token, "expires_in": self.token_ttl})

    async def _ok(self, request: web.Request) -> web.Response:
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        self._msgid += 1
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": self._msgid})

    async def _media(self, request: web.Request) -> web.Response:
        data = self.media.get(request.query.get("media_id", ""))
        if data is None:
            # WeChat answers media errors as JSON labelled text/plain.
            return web.Response(
                text=json.dumps({"errcode": 40007, "errmsg": ERRMSG[40007]}),
                content_type="text/plain",
            )
        # Sent in pieces with pauses, as a photo arrives over a real network; recorded first,
        # since the caller may look at the calls as soon as the last piece arrives.
        await self._record(request, None, 0)
        request[RECORDED] = True
        resp = web.StreamResponse(
            headers={"Content-Disposition": 'attachment; filename="media.jpg"'}
        )
        resp.content_type = "image/jpeg"
        resp.content_length = len(data)
        await resp.prepare(request)
        for start in range(0, len(data), 16 * 1024):
            await resp.write(data[start : start + 16 * 1024])
            await asyncio.sleep(0.001)
        await resp.write_eof()
        return resp

    async def _jscode2session(self, request: web.Request) -> web.Response:
        q = request.query
        if err := self._credentials_error(q.get("appid"), q.get("secret")):
            return web.json_response({"errcode": err, "errmsg": ERRMSG[err]})
        openid = self.js_codes.pop(q.get("js_code", ""), None)  # a code works once
        if openid is None or q.get("grant_type") != "authorization_code":
            return web.json_response({"errcode": 40029, "errmsg": ERRMSG[40029]})
        answer = {"openid": openid, "session_key": secrets.token_urlsafe(16)}
        if openid in self.unionids:
            answer["unionid"] = self.unionids[openid]
        return web.json_response(answer)

    async def _user_info(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid", "")
        if not openid:
            return web.json_response({"errcode": 40003, "errmsg": ERRMSG[40003]})
        answer: dict[str, Any] = {"subscribe": 1, "openid": openid, "language": "zh_CN"}
        if openid in self.unionids:
            answer["unionid"] = self.unionids[openid]
        return web.json_response(answer)

    async def _phone_number(self, request: web.Request) -> web.Response:
        phone = self.phone_codes.pop((request[BODY] or {}).get("code", ""), None)
        if phone is None:
            return web.json_response({"errcode": 40029, "errmsg": ERRMSG[40029]})
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone,
                    "purePhoneNumber": phone,
                    "countryCode": "86",
                    "watermark": {"timestamp": 1700000000, "appid": "fake"},
                },
            }
        )
