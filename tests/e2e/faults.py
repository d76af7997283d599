"""Throwaway PostgreSQL and Redis servers and `fengqiao serve` processes for the fault tests.

The fault tests stop and restart databases; they never touch the shared servers on 5432/6379
that other tests use, but start their own on free ports in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.test_cli import env_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(ok: bool, why: str) -> None:
    """Skip when a tool is missing on a developer's machine; fail in CI, which must have it."""
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI must provide it)")
        pytest.skip(why)


def wait_port(port: int, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


class RedisServer:
    """redis-server on a free port; append-only file on, as docs/deploy.md recommends, so a
    restart keeps dialog sessions and the once-only ledger."""

    def __init__(self, root: Path) -> None:
        need(shutil.which("redis-server") is not None, "redis-server not installed")
        self.dir = root
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.dir),
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class PostgresServer:
    """A PostgreSQL 15 cluster of its own (initdb into a temporary directory, trust auth)."""

    def __init__(self, root: Path) -> None:
        need((PG_BIN / "initdb").exists(), "PostgreSQL 15 server binaries not installed")
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: run the server as the postgres user when we are root.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            need(shutil.which("runuser") is not None, "runuser not installed")

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.prefix:
            shutil.chown(self.root, "postgres")
            self.root.chmod(0o700)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale", "C")

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=100")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
                  str(self.root / "log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


class ServeProcess:
    """`fengqiao serve --workers N` in its own session, logs kept for the test to read."""

    def __init__(self, data_dir: Path, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = env_for(data_dir, **env)
        self.log_path = data_dir.parent / f"serve-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fengqiao", "serve", "--port", str(self.port),
             "--workers", str(self.workers)],
            env=self.env, stdout=log, stderr=log, start_new_session=True,
        )
        await self.wait_healthy(60)

    async def wait_healthy(self, within: float) -> None:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                try:
                    async with http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"service not healthy within {within} s")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def pid_listening_on(port: int, pids: list[int]) -> int | None:
    """Which of `pids` listens on TCP `port` (a worker's own port)."""
    return _pid_with_socket(port, pids, local=True, state="0A")  # 0A: LISTEN


def pid_connected_to(port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds an established TCP connection to 127.0.0.1:`port`."""
    return _pid_with_socket(port, pids, local=False, state="01")  # 01: ESTABLISHED


def _pid_with_socket(port: int, pids: list[int], *, local: bool, state: str) -> int | None:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            found_port = int(cols[1 if local else 2].split(":")[1], 16)
            if found_port == port and cols[3] == state:
                inodes.add(cols[9])
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return pid
        except OSError:
            continue
    return None
