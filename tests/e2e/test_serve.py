"""`fengqiao serve` as real processes: restarts lose nothing; several workers share one port."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import xmltodict

from tests.bot import wx
from tests.conftest import require, reset_postgres, reset_redis
from tests.e2e.faults import pid_connected_to
from tests.fakes.resident import Resident
from tests.test_cli import env_for

_ids = itertools.count(900_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, workers: int = 1, **extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = env_for(data_dir, FENGQIAO_WECHAT_TOKEN=wx.TOKEN, **extra)
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fengqiao",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # no graceful shutdown: a crash
        self.proc.wait(10)


async def say(http: aiohttp.ClientSession, url: str, user: str, text: str) -> str:
    xml = wx.text(user, text, next(_ids))
    async with http.post(url + "/wechat/mp", params=wx.signed(), data=xml.encode()) as resp:
        assert resp.status == 200
        return str(xmltodict.parse(await resp.text())["xml"]["Content"])


async def test_a_dialog_and_a_case_survive_crashes(tmp_path):
    server = Server(tmp_path / "var")
    await server.start()
    resident = Resident()
    said: str | None = resident.opening()
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(4):  # consent, description, type: then the server dies
                said = resident.answer(said, await say(http, server.url, "o-crash", said))
            server.kill()
            await server.start()
            while said is not None:
                said = resident.answer(said, await say(http, server.url, "o-crash", said))
            assert resident.code
            server.kill()
            await server.start()
            async with http.get(f"{server.url}/api/v1/cases/{resident.code}/progress") as resp:
                assert resp.status == 200
                assert (await resp.json())["status_name"] == "受理"
    finally:
        server.kill()


async def test_several_workers_share_one_port_and_the_state(tmp_path):
    pg = require("FENGQIAO_TEST_DATABASE_URL")
    redis_url = require("FENGQIAO_TEST_REDIS_URL")
    await reset_postgres(pg)
    await reset_redis(redis_url)
    server = Server(
        tmp_path / "var", workers=2, FENGQIAO_DATABASE_URL=pg, FENGQIAO_REDIS_URL=redis_url
    )
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            pids = set()
            # a new connection each time, so the kernel spreads them over the workers; the
            # second worker may still be starting when the first answers
            assert server.proc is not None
            children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
            for _ in range(600):
                # /healthz names no process: the worker is the one holding the other end of
                # this connection, asked while it is open.
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")  # kept alive
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                size = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                body = json.loads(await reader.readexactly(size))
                mine = writer.get_extra_info("sockname")[1]
                workers = [int(p) for p in children.read_text().split()]
                pid = pid_connected_to(mine, workers)
                writer.close()
                assert head.startswith(b"HTTP/1.1 200")
                assert body["database"]["engine"] == "postgresql"
                assert body["store"]["engine"] == "redis"
                assert "worker" not in body
                if pid is not None:
                    pids.add(pid)
                if len(pids) == 2:
                    break
                await asyncio.sleep(0.05)
            assert len(pids) == 2
            residents = [Resident() for _ in range(6)]

            async def converse(i: int, resident: Resident) -> None:
                said: str | None = resident.opening()
                while said is not None:
                    async with aiohttp.ClientSession() as fresh:
                        reply = await say(fresh, server.url, f"o-w{i}", said)
                    said = resident.answer(said, reply)

            await asyncio.gather(*(converse(i, r) for i, r in enumerate(residents)))
            codes = {r.code for r in residents}
            assert len(codes) == 6 and None not in codes
            for code in codes:
                async with http.get(f"{server.url}/api/v1/cases/{code}/progress") as resp:
                    assert resp.status == 200
    finally:
        server.kill()
