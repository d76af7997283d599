"""WeChat's side of the official-account callback, as the load bench and the fault tests need it.

`WeChatPlatform` does what Tencent's servers do between a resident's phone and our callback:
sign and post each message; when no answer comes within 5 s or the connection fails, post the
same MsgId again, up to 3 more times; carry the reply back to the resident, whether it came
as the passive reply or later as a customer-service message (through the fake WeChat API).
It counts what happened, so a caller can prove nothing was lost or duplicated.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import xmltodict
from aiohttp import web

from fengqiao.bot import texts as bot_texts
from fengqiao.dialogs import texts as dialog_texts
from tests.fakes.resident import Resident
from tests.fakes.wechat_server import BODY, FakeWeChat

ACCOUNT = "gh_platform"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
# Replies that mean "not now, send it again": the resident resends the same text.
BUSY_PREFIXES = (
    bot_texts.BUSY.split("，请")[0],
    dialog_texts.BUSY,
    dialog_texts.SUBMIT_FAILED,
)
_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)


class MessageLost(AssertionError):
    """Every delivery of a message failed: WeChat gave up and the resident saw nothing."""


@dataclass
class Stats:
    statuses: Counter[int] = field(default_factory=Counter)
    attempts: int = 0
    retries: int = 0  # deliveries of a MsgId after the first
    dropped: int = 0  # first deliveries cut off on purpose (connection failure)
    failures: int = 0  # timeouts and connection errors seen
    late: int = 0  # replies that came as customer-service messages
    busy: int = 0  # "busy, send again" replies
    lost: int = 0
    request_latency: list[float] = field(default_factory=list)
    turn_latency: list[float] = field(default_factory=list)  # first post -> reply seen


class WeChatPlatform:
    def __init__(
        self,
        base_url: str,
        token: str,
        fake: FakeWeChat | None = None,
        *,
        timeout: float = 5.0,
        retries: int = 3,
        drop_rate: float = 0.0,
        late_within: float = 120.0,
        retry_pause: float = 1.0,
        seed: int = 7,
    ) -> None:
        self.url = base_url.rstrip("/") + "/wechat/mp"
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.drop_rate = drop_rate
        self.late_within = late_within
        self.retry_pause = retry_pause
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.inbox: dict[str, asyncio.Queue[str]] = defaultdict(asyncio.Queue)
        if fake is not None:
            fake.app.middlewares.append(self._collect)  # before fake.start()

    @web.middleware
    async def _collect(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.path == CUSTOM_SEND:
            body = request[BODY]
            self.inbox[body["touser"]].put_nowait(body["text"]["content"])
        return response

    def _signed(self) -> dict[str, str]:
        ts, nonce = str(int(time.time())), str(self.rng.randrange(10**9))
        sig = hashlib.sha1("".join(sorted([self.token, ts, nonce])).encode()).hexdigest()
        return {"signature": sig, "timestamp": ts, "nonce": nonce}

    async def send(self, http: aiohttp.ClientSession, user: str, text: str) -> str:
        """What the resident sees after sending `text`; MessageLost if every delivery failed."""
        return await self._deliver(http, user, "text", f"<Content><![CDATA[{text}]]></Content>")

    async def send_image(self, http: aiohttp.ClientSession, user: str, media_id: str) -> str:
        fields = (
            "<PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl>"
            f"<MediaId><![CDATA[{media_id}]]></MediaId>"
        )
        return await self._deliver(http, user, "image", fields)

    async def _deliver(self, http: aiohttp.ClientSession, user: str, kind: str, fields: str) -> str:
        msg_id = next(_ids)
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
            f"{fields}<MsgId>{msg_id}</MsgId></xml>"
        ).encode()
        first = time.perf_counter()
        for attempt in range(1 + self.retries):
            self.stats.attempts += 1
            self.stats.retries += attempt > 0
            timeout = self.timeout
            if attempt == 0 and self.drop_rate and self.rng.random() < self.drop_rate:
                # The connection breaks after the message went out: the worker may or may not
                # have handled it; WeChat cannot know and sends it again.
                timeout = self.rng.uniform(0.005, 0.2)
                self.stats.dropped += 1
            started = time.perf_counter()
            # A repeat goes out on a new connection, as WeChat's do; a kept-alive one may
            # lead to a worker that has died.
            fresh = aiohttp.ClientSession() if attempt else None
            try:
                async with (fresh or http).post(
                    self.url,
                    params=self._signed(),
                    data=body,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as resp:
                    raw = await resp.text()
                    status = resp.status
            except TimeoutError:
                self.stats.failures += 1
                continue
            except aiohttp.ClientError:
                # WeChat does not hammer a server that refused it: it tries again a little
                # later (and a listener being closed at that instant refuses new connections).
                self.stats.failures += 1
                await asyncio.sleep(self.retry_pause)
                continue
            finally:
                if fresh is not None:
                    await fresh.close()
            self.stats.statuses[status] += 1
            self.stats.request_latency.append(time.perf_counter() - started)
            if status != 200:
                continue
            if raw in ("success", ""):
                reply = await self._late(user)
            else:
                reply = str(xmltodict.parse(raw)["xml"]["Content"])
            self.stats.turn_latency.append(time.perf_counter() - first)
            return reply
        self.stats.lost += 1
        raise MessageLost(f"{user}: message {msg_id} got no answer in {1 + self.retries} tries")

    async def _late(self, user: str) -> str:
        try:
            async with asyncio.timeout(self.late_within):
                reply = await self.inbox[user].get()
        except TimeoutError:
            self.stats.lost += 1
            raise MessageLost(f"{user}: answered 'success' but no reply followed") from None
        self.stats.late += 1
        return reply

    def undelivered(self) -> dict[str, list[str]]:
        """Customer-service messages nobody waited for: a duplicate reply, if any."""
        out: dict[str, list[str]] = {}
        for user, queue in self.inbox.items():
            while not queue.empty():
                out.setdefault(user, []).append(queue.get_nowait())
        return out


def is_busy(reply: str) -> bool:
    return reply.startswith(BUSY_PREFIXES)


async def converse(
    platform: WeChatPlatform,
    http: aiohttp.ClientSession,
    user: str,
    resident: Resident,
    *,
    busy_pause: float = 0.5,
    max_busy: int = 60,
) -> Resident:
    """A whole intake dialog; a "busy" reply makes the resident send the same text again."""
    said: str | None = resident.opening()
    busy = 0
    while said is not None:
        reply = await platform.send(http, user, said)
        if is_busy(reply):
            platform.stats.busy += 1
            busy += 1
            if busy > max_busy:
                raise AssertionError(f"{user}: still busy after {max_busy} tries")
            await asyncio.sleep(busy_pause)
            continue
        said = resident.answer(said, reply)
    return resident
