"""Fixtures for the WeChat edges: the fake WeChat API server and an app around the bot alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import bot, keys
from fengqiao.bot.limits import BotConfig
from fengqiao.settings import Settings
from fengqiao.storage.kv import LocalStore
from fengqiao.tokens import Signer
from fengqiao.web.kit.middleware import door
from tests.bot import wx
from tests.fakes.wechat_server import FakeWeChat


@pytest.fixture
async def wechat_fake() -> AsyncIterator[FakeWeChat]:
    fake = FakeWeChat(accounts={wx.APPID: wx.MP_SECRET, wx.WXA_APPID: wx.WXA_SECRET})
    await fake.start()
    yield fake
    await fake.close()


PROMPT = {"key": "description", "kind": "text", "label": "事情经过", "options": [],
          "optional": False, "step": 2, "of": 9}


@dataclass
class Turn:
    reply: str
    state: str
    case_code: str | None
    prompt: dict[str, Any] = field(default_factory=lambda: dict(PROMPT))


@dataclass
class FakeIntake:
    """Stands in for dialogs.IntakeService: records calls, optionally holds turns at a gate."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    fail: bool = False

    async def _turn(self, call: tuple[Any, ...], reply: str) -> Turn:
        self.calls.append(call)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("dialog broke")
        return Turn(reply=reply, state="describe", case_code=None)

    async def handle_text(
        self, channel: str, user_id: str, text: str, *, at: Any = None, message_key: Any = None
    ) -> Turn:
        return await self._turn(("text", channel, user_id, text), f"收到：{text}")

    async def handle_answer(
        self, channel: str, user_id: str, key: str, value: Any, *, given: bool = True,
        at: Any = None,
    ) -> Turn:
        return await self._turn(("answer", channel, user_id, key, value, given), f"答：{value}")

    async def handle_image(
        self, channel: str, user_id: str, data: bytes, *, source_ref: str, at: Any = None
    ) -> Turn:
        return await self._turn(("image", channel, user_id, data, source_ref), "图片已收到")

    async def handle_event(self, channel: str, user_id: str, event: str, key: str | None) -> Turn:
        reply = "" if event == "subscribe" and key is None else f"事件：{event}:{key}"
        return await self._turn(("event", channel, user_id, event, key), reply)


class CountingStore(LocalStore):
    """The embedded store in memory, remembering every key written (to prove nothing was)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.written: list[str] = []

    def _put(self, key: str, value: bytes, expires: float | None) -> None:
        self.written.append(key)
        super()._put(key, value, expires)


@pytest.fixture
def intake() -> FakeIntake:
    return FakeIntake()


BotClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def bot_client(
    tmp_path: Path, wechat_fake: FakeWeChat, intake: FakeIntake
) -> AsyncIterator[BotClient]:
    """Factory: a TestClient for an app holding only the bot (fake intake, memory store)."""
    clients: list[TestClient] = []

    async def make(
        config: BotConfig | None = None, kv: LocalStore | None = None, **overrides: Any
    ) -> TestClient:
        values: dict[str, Any] = {
            "data_dir": tmp_path,
            "secret_key": "test",
            "wechat_token": wx.TOKEN,
            # Plain mode; safe-mode tests pass **wx.SAFE (with a key set, plain is refused).
            "wechat_aes_key": "",
            "wechat_appid": wx.APPID,
            "wechat_secret": wx.MP_SECRET,
            "wechat_api_base": wechat_fake.base_url,
            "wxa_appid": wx.WXA_APPID,
            "wxa_secret": wx.WXA_SECRET,
        }
        values.update(overrides)
        app = web.Application(middlewares=[door])
        app[keys.SETTINGS] = Settings(**values)
        app[keys.SIGNER] = Signer(b"test")
        app[keys.KV] = kv or CountingStore()  # share one to play two workers
        app[keys.INTAKE] = intake  # type: ignore[assignment]
        bot.setup(app, config)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
