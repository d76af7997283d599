"""Async client for WeChat's server API (official account and mini-program).

wechatpy's own client is synchronous (requests) and would block the event loop, so the few
calls the service makes are done here with aiohttp. The access_token is shared by all workers
through the key-value store: fetching a new one can invalidate the old one, so only one worker
refreshes at a time (a KV lock) and the others read what it stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from fengqiao.storage.kv import KeyValueStore

log = logging.getLogger("fengqiao.bot.client")

# access_token invalid (40001), expired (42001), invalid (40014): refresh once and retry.
TOKEN_ERRORS = frozenset({40001, 42001, 40014})
SYSTEM_BUSY = -1
REPLY_WINDOW_CLOSED = 45015  # more than 48 h since the resident's last message
TOO_MANY_MESSAGES = 45047  # customer-service message quota for this user used up
INVALID_JS_CODES = frozenset({40029, 40163, 40226})  # bad, used, or blocked login code


class WeChatError(RuntimeError):
    """Base of everything this client raises."""


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached or answered something that is not its API (network, 5xx)."""


class WeChatApiError(WeChatError):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str, path: str) -> None:
        super().__init__(f"WeChat {path}: errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path


class TokenRejected(WeChatApiError):
    """The access_token was still refused after one refresh (wrong appid/secret, IP whitelist)."""


class ReplyWindowClosed(WeChatApiError):
    """45015: the resident has not written within 48 hours; customer-service messages refused."""


class TooManyMessages(WeChatApiError):
    """45047: too many customer-service messages since the resident last wrote."""


class SystemBusy(WeChatApiError):
    """-1 from WeChat, still after backing off."""


class InvalidLoginCode(WeChatApiError):
    """jscode2session refused the mini-program's login code."""


def _error_for(errcode: int, errmsg: str, path: str) -> WeChatApiError:
    cls: type[WeChatApiError] = WeChatApiError
    if errcode in TOKEN_ERRORS:
        cls = TokenRejected
    elif errcode == REPLY_WINDOW_CLOSED:
        cls = ReplyWindowClosed
    elif errcode == TOO_MANY_MESSAGES:
        cls = TooManyMessages
    elif errcode == SYSTEM_BUSY:
        cls = SystemBusy
    elif errcode in INVALID_JS_CODES:
        cls = InvalidLoginCode
    return cls(errcode, errmsg, path)


@dataclass(frozen=True)
class WxaSession:
    openid: str
    unionid: str | None
    # session_key is deliberately not kept: the service never decrypts mini-program data.


class WeChatClient:
    """One WeChat account (official account or mini-program) seen through its server API."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        kv: KeyValueStore,
        *,
        api_base: str,
        appid: str,
        secret: str,
        backoff: tuple[float, ...] = (0.2, 0.5, 1.0),
        max_media_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        self.http = http
        self.kv = kv
        self.api_base = api_base.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.backoff = backoff
        self.max_media_bytes = max_media_bytes

    @property
    def _token_key(self) -> str:
        return f"wechat:token:{self.appid}"

    # -- access_token -------------------------------------------------------------------------

    async def access_token(self) -> str:
        cached = await self.kv.get(self._token_key)
        if cached:
            return cached.decode()
        return await self._refresh(stale=None)

    async def _refresh(self, stale: str | None) -> str:
        """Fetch a token unless another worker did while we waited for the lock (single-flight)."""
        async with self.kv.lock(self._token_key, ttl=15.0, wait=15.0):
            cached = await self.kv.get(self._token_key)
            if cached and cached.decode() != stale:
                return cached.decode()
            # stable_token does not cut off tokens other processes hold; force a new one only
            # when WeChat told us the one we have is bad.
            data = await self._checked(
                "POST",
                "/cgi-bin/stable_token",
                body={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                    "force_refresh": stale is not None,
                },
            )
            token = str(data["access_token"])
            expires_in = int(data.get("expires_in", 7200))
            # Renew five minutes early so a token never expires between read and use.
            await self.kv.set(self._token_key, token, ttl=max(60, expires_in - 300))
            log.info("wechat access_token refreshed", extra={"appid": self.appid})
            return token

    # -- transport ----------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        binary: bool = False,
    ) -> dict[str, Any] | bytes:
        url = self.api_base + path
        payload = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"} if payload else None
        try:
            async with self.http.request(
                method, url, params=params, data=payload, headers=headers
            ) as resp:
                if resp.status >= 500:
                    raise WeChatUnavailable(f"WeChat {path}: HTTP {resp.status}")
                kind = resp.content_type
                if binary and not kind.startswith(("application/json", "text/")):
                    # read(n) gives what has arrived so far, not n bytes: read to the end.
                    data = bytearray()
                    async for chunk in resp.content.iter_chunked(64 * 1024):
                        data += chunk
                        if len(data) > self.max_media_bytes:
                            raise WeChatUnavailable(f"WeChat {path}: media over the size limit")
                    return bytes(data)
                raw = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WeChatUnavailable(f"WeChat {path}: {type(exc).__name__}") from exc
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise WeChatUnavailable(f"WeChat {path}: answer is not JSON") from exc
        if not isinstance(parsed, dict):
            raise WeChatUnavailable(f"WeChat {path}: answer is not a JSON object")
        return parsed

    async def _checked(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        auth: bool = False,
        binary: bool = False,
    ) -> dict[str, Any] | Any:
        """Send, and deal with WeChat's errcodes: refresh a bad token once, back off on -1."""
        refreshed = False
        busy = 0
        while True:
            query = dict(params or {})
            token = ""
            if auth:
                token = await self.access_token()
                query["access_token"] = token
            data = await self._send(method, path, params=query or None, body=body, binary=binary)
            if isinstance(data, bytes):
                return data
            errcode = int(data.get("errcode") or 0)
            if errcode == 0:
                return data
            errmsg = str(data.get("errmsg", ""))
            if auth and errcode in TOKEN_ERRORS and not refreshed:
                refreshed = True
                log.warning("wechat token refused, refreshing", extra={"errcode": errcode})
                await self._refresh(stale=token)
                continue
            if errcode == SYSTEM_BUSY and busy < len(self.backoff):
                await asyncio.sleep(self.backoff[busy])
                busy += 1
                continue
            raise _error_for(errcode, errmsg, path)

    # -- the calls the service makes ----------------------------------------------------------

    async def send_text(self, openid: str, text: str) -> None:
        """Customer-service text message (within 48 h of the resident's last message)."""
        await self._checked(
            "POST",
            "/cgi-bin/message/custom/send",
            body={"touser": openid, "msgtype": "text", "text": {"content": text}},
            auth=True,
        )

    async def download_media(self, media_id: str) -> bytes:
        data = await self._checked(
            "GET", "/cgi-bin/media/get", params={"media_id": media_id}, auth=True, binary=True
        )
        if not isinstance(data, bytes):  # WeChat answered JSON without an errcode
            raise WeChatUnavailable("WeChat /cgi-bin/media/get: no media in the answer")
        return data

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: dict[str, str],
        *,
        url: str | None = None,
    ) -> int:
        """Official-account template message; returns WeChat's msgid."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {k: {"value": v} for k, v in data.items()},
        }
        if url:
            body["url"] = url
        answer = await self._checked("POST", "/cgi-bin/message/template/send", body=body, auth=True)
        return int(answer.get("msgid", 0))

    async def send_subscribe(
        self,
        openid: str,
        template_id: str,
        data: dict[str, str],
        *,
        page: str | None = None,
    ) -> None:
        """Mini-program subscribe message (needs the resident's one-time consent)."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {k: {"value": v} for k, v in data.items()},
        }
        if page:
            body["page"] = page
        await self._checked("POST", "/cgi-bin/message/subscribe/send", body=body, auth=True)

    async def unionid_of(self, openid: str) -> str | None:
        """The official-account user's unionid (only when the account is bound to an open
        platform, and the user follows it), from /cgi-bin/user/info."""
        answer = await self._checked(
            "GET", "/cgi-bin/user/info", params={"openid": openid, "lang": "zh_CN"}, auth=True
        )
        unionid = answer.get("unionid")
        return str(unionid) if unionid else None

    async def phone_number(self, code: str) -> str:
        """The phone number the mini-program user authorised (the code from a
        getPhoneNumber button), without country code."""
        answer = await self._checked(
            "POST", "/wxa/business/getuserphonenumber", body={"code": code}, auth=True
        )
        phone = (answer.get("phone_info") or {}).get("purePhoneNumber")
        if not phone:
            raise WeChatUnavailable("WeChat getuserphonenumber: no phone number in the answer")
        return str(phone)

    async def jscode2session(self, code: str) -> WxaSession:
        answer = await self._checked(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self.secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        openid = answer.get("openid")
        if not openid:
            raise WeChatUnavailable("WeChat /sns/jscode2session: no openid in the answer")
        unionid = answer.get("unionid")
        return WxaSession(openid=str(openid), unionid=str(unionid) if unionid else None)
