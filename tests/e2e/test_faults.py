"""Faults under load on real processes: `fengqiao serve --workers 2` on PostgreSQL + Redis of
their own, residents chatting through a WeChat platform that retries like WeChat.

- Redis restarted mid-load: residents see "busy, send again" at worst; dialogs resume.
- PostgreSQL restarted: 503 at once while it is down, recovery without a restart of ours.
- A worker killed mid-request: WeChat's repeat reaches another worker and is handled once.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from PIL import Image

from fengqiao.cases import codes
from fengqiao.dialogs import texts as dialog_texts
from tests.bot import wx
from tests.conftest import reset_postgres, reset_redis
from tests.e2e.faults import (
    PostgresServer,
    RedisServer,
    ServeProcess,
    free_port,
    pid_connected_to,
    pid_listening_on,
)
from tests.fakes.resident import Resident
from tests.fakes.wechat_platform import WeChatPlatform, converse
from tests.fakes.wechat_server import FakeWeChat

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    # Not under pytest's temporary directory: the postgres user cannot enter root's.
    root = Path(tempfile.mkdtemp(prefix="fq-faults-pg-"))
    try:
        server = PostgresServer(root)
        server.init()
        server.start()
        yield server
        if server.running():
            server.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


class Stack:
    """The service, the fake WeChat API and the retrying platform, wired together."""

    def __init__(self, tmp_path: Path, postgres: PostgresServer, redis: RedisServer) -> None:
        self.tmp_path = tmp_path
        self.postgres = postgres
        self.redis = redis
        self.fake = FakeWeChat(accounts={wx.APPID: wx.MP_SECRET})
        self.server: ServeProcess | None = None
        self.platform: WeChatPlatform | None = None

    async def start(self) -> Stack:
        await reset_postgres(self.postgres.url)
        await reset_redis(self.redis.url)
        self.server = ServeProcess(
            self.tmp_path / "var",
            workers=2,
            FENGQIAO_DATABASE_URL=self.postgres.url,
            FENGQIAO_REDIS_URL=self.redis.url,
            FENGQIAO_WECHAT_TOKEN=wx.TOKEN,
            FENGQIAO_WECHAT_APPID=wx.APPID,
            FENGQIAO_WECHAT_SECRET=wx.MP_SECRET,
            FENGQIAO_WECHAT_API_BASE="http://127.0.0.1:1",  # replaced below, once it listens
        )
        self.platform = WeChatPlatform(self.server.url, wx.TOKEN, self.fake, late_within=60)
        await self.fake.start()
        self.server.env["FENGQIAO_WECHAT_API_BASE"] = self.fake.base_url
        await self.server.start()
        return self

    async def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        await self.fake.close()

    async def cases(self) -> list[str]:
        conn = await asyncpg.connect(self.postgres.url)
        try:
            return [r["code"] for r in await conn.fetch("SELECT code FROM cases")]
        finally:
            await conn.close()


@pytest.fixture
async def stack(tmp_path, postgres, redis_server) -> Stack:
    built = await Stack(tmp_path, postgres, redis_server).start()
    yield built
    await built.close()


async def chat_all(stack: Stack, http: aiohttp.ClientSession, n: int, prefix: str) -> list:
    assert stack.platform is not None
    residents = [Resident() for _ in range(n)]
    return await asyncio.gather(
        *(converse(stack.platform, http, f"{prefix}-{i}", r) for i, r in enumerate(residents))
    )


async def until_attempts(stack: Stack, count: int) -> None:
    assert stack.platform is not None
    async with asyncio.timeout(60):
        while stack.platform.stats.attempts < count:  # noqa: ASYNC110 - bounded
            await asyncio.sleep(0.05)


def assert_exactly_once(stack: Stack, residents: list, case_codes: list[str]) -> None:
    platform = stack.platform
    assert platform is not None
    codes = [r.code for r in residents]
    assert None not in codes
    assert sorted(codes) == sorted(case_codes), "one case per resident, no more, no fewer"
    assert len(set(codes)) == len(codes)
    for r in residents:  # each resident was told one code, once
        announced = [reply for _, reply in r.transcript if "案件编号" in reply]
        assert len(announced) == 1, r.transcript
    assert platform.stats.lost == 0
    assert platform.undelivered() == {}, "a reply arrived twice"
    assert set(platform.stats.statuses) == {200}, platform.stats.statuses


async def test_redis_restart_mid_load_loses_no_dialog(stack, redis_server):
    async with aiohttp.ClientSession() as http:
        chat = asyncio.create_task(chat_all(stack, http, 12, "o-redis"))
        await until_attempts(stack, 30)
        redis_server.stop()
        try:
            # While Redis is down: health says so at once; a resident is told to send again.
            async with http.get(stack.server.url + "/healthz") as resp:
                assert resp.status == 503
                assert (await resp.json())["store"]["ok"] is False
            reply = await stack.platform.send(http, "o-redis-probe", "你好")
            assert reply.startswith("抱歉，系统暂时繁忙"), reply
            await asyncio.sleep(1.5)
        finally:
            redis_server.start()
        residents = await asyncio.wait_for(chat, 150)
    assert_exactly_once(stack, residents, await stack.cases())
    assert stack.platform.stats.busy >= 1  # the outage was felt, and answered clearly
    assert "unhandled error" not in stack.server.log()


async def test_postgres_restart_is_503_at_once_and_recovers(stack, postgres):
    async with aiohttp.ClientSession() as http:
        chat = asyncio.create_task(chat_all(stack, http, 8, "o-pg"))
        await until_attempts(stack, 20)
        postgres.stop("fast")
        try:
            timeout = aiohttp.ClientTimeout(total=10)  # "at once": well inside a browser's patience
            async with http.get(stack.server.url + "/healthz", timeout=timeout) as resp:
                assert resp.status == 503
                assert (await resp.json())["database"]["ok"] is False
            url = f"{stack.server.url}/api/v1/cases/{codes.new_code(datetime.now())}/progress"
            for _ in range(4):  # whichever worker answers, and whatever its pool holds
                async with aiohttp.ClientSession() as fresh, fresh.get(url, timeout=timeout) as r:
                    assert r.status == 503, await r.text()
                    assert (await r.json())["error"]["code"] in (
                        "database_unavailable", "unavailable"
                    )
            await asyncio.sleep(1.0)
        finally:
            postgres.start()
        await stack.server.wait_healthy(30)  # the same processes, no restart of ours
        residents = await asyncio.wait_for(chat, 150)
    assert_exactly_once(stack, residents, await stack.cases())
    assert "unhandled error" not in stack.server.log()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


async def test_worker_killed_mid_request_is_handled_once_by_another(stack):
    stack.fake.media["m-evidence"] = jpeg()
    platform = stack.platform
    user = "o-kill"
    async with aiohttp.ClientSession() as http:
        assert "同意" in await platform.send(http, user, "你好")
        assert await platform.send(http, user, "同意") == dialog_texts.ASK_DESCRIPTION
        # The worker that takes the image hangs on the media download: kill it right there.
        stack.fake.delays["/cgi-bin/media/get"] = 8.0
        sent = asyncio.create_task(platform.send_image(http, user, "m-evidence"))
        fake_port = int(stack.fake.base_url.rsplit(":", 1)[1])
        victim = None
        async with asyncio.timeout(20):
            while victim is None:
                await asyncio.sleep(0.05)
                victim = pid_connected_to(fake_port, stack.server.worker_pids())
        stack.fake.delays.clear()
        os.kill(victim, signal.SIGKILL)
        reply = await asyncio.wait_for(sent, 60)
        assert reply == dialog_texts.IMAGE_RECEIVED
        assert platform.stats.failures + platform.stats.retries >= 1  # it was retried
        resident = Resident()
        await converse(platform, http, user, resident)  # on to filing
    (code,) = await stack.cases()
    assert resident.code == code
    conn = await asyncpg.connect(stack.postgres.url)
    try:
        files = await conn.fetchval(
            "SELECT count(*) FROM case_files f JOIN cases c ON c.id = f.case_id "
            "WHERE c.code = $1 AND f.kind = 'evidence'",
            code,
        )
    finally:
        await conn.close()
    assert files == 1  # the image was taken once, though two workers started on it
    assert victim not in stack.server.worker_pids()  # replaced by the supervisor


async def test_each_worker_keeps_its_own_port_for_room_affinity(tmp_path, postgres, redis_server):
    # A video room lives in one worker: the proxy hashes the room id over these ports.
    await reset_postgres(postgres.url)
    await reset_redis(redis_server.url)
    base = free_port_pair()
    server = ServeProcess(
        tmp_path / "var", workers=2, FENGQIAO_DATABASE_URL=postgres.url,
        FENGQIAO_REDIS_URL=redis_server.url, FENGQIAO_WORKER_BASE_PORT=str(base),
    )
    await server.start()
    try:
        async def pid_on(port: int) -> int:
            # /healthz names no process; the port's one listener is the worker behind it.
            async with aiohttp.ClientSession() as http:
                for _ in range(300):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                            assert resp.status == 200 and "worker" not in await resp.json()
                        pid = pid_listening_on(port, server.worker_pids())
                        if pid is not None:
                            return pid
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
            raise AssertionError(f"nothing on {port}")

        first = [await pid_on(base), await pid_on(base + 1)]
        assert len(set(first)) == 2 and set(first) <= set(server.worker_pids())
        assert [await pid_on(base) for _ in range(5)] == [first[0]] * 5  # always the same one
        os.kill(first[0], signal.SIGKILL)
        await asyncio.sleep(1.0)
        replaced = await pid_on(base)  # the supervisor's new worker takes the same port
        assert replaced != first[0] and await pid_on(base + 1) == first[1]
    finally:
        server.stop()


def free_port_pair() -> int:
    for _ in range(50):
        port = free_port()
        if port < 65000:
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise AssertionError("no two free ports in a row")
