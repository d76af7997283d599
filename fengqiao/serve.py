"""`fengqiao serve`: one process, or N worker processes sharing one port (SO_REUSEPORT)."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import socket
import sys
import time

from aiohttp import web

from fengqiao import logs
from fengqiao.settings import Settings, SettingsError
from fengqiao.storage.migrate import upgrade

log = logging.getLogger("fengqiao.serve")


def _listen(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(False)
    return sock


def _worker(host: str, port: int, reuse_port: bool, index: int = 0) -> None:
    from fengqiao.app import create_app

    settings = Settings.from_env()
    logs.configure(settings.log_level)
    # Migrations ran once in the parent before any worker started.
    app = create_app(settings, migrate=False)
    socks = [_listen(host, port, reuse_port)]
    if settings.worker_base_port:
        # A port of this worker's own, beside the shared one: a video room lives in one
        # process, so the proxy sends /ws/rooms/{id} and /h5/room/{id} to a fixed worker by
        # hashing the room id over these ports (docs/deploy.md). A restarted worker keeps it.
        socks.append(_listen(host, settings.worker_base_port + index, False))
    web.run_app(app, sock=socks, print=None, access_log=None, handle_signals=True)


def default_public_url(host: str, port: int) -> str:
    """The address links should carry when FENGQIAO_PUBLIC_URL is not set: the one served.
    A wildcard bind names no address a browser can use; this machine's loopback stands in."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def serve(host: str, port: int, workers: int) -> int:
    # Links sent to residents and printed by the console point at the address served, unless
    # the operator named the public one (behind nginx, with a domain): workers read it too.
    os.environ.setdefault("FENGQIAO_PUBLIC_URL", default_public_url(host, port))
    try:
        settings = Settings.from_env().with_secret()
    except SettingsError as exc:
        print(f"配置错误: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    if workers > 1 and not (settings.redis_url and settings.database_url):
        print(
            "--workers > 1 needs shared state: set FENGQIAO_DATABASE_URL (PostgreSQL) and "
            "FENGQIAO_REDIS_URL",
            file=sys.stderr,
        )
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.remember_served_url()  # `fengqiao chat` prints progress links on this address
    upgrade(settings.effective_database_url)
    # Like the migrations, the language model is built once here, before any worker starts:
    # N workers would otherwise each train it at the same time on a fresh data directory.
    from fengqiao.nlp import get_analyzer

    get_analyzer(settings.config_dir, settings.data_dir)
    log.info(
        "serving",
        extra={
            "url": f"http://{host}:{port}",
            "workers": workers,
            "database": "sqlite" if not settings.database_url else "postgresql",
        },
    )
    print(
        f"Fengqiao listening on http://{host}:{port} ({workers} worker(s)); "
        f"links use {settings.public_url}",
        flush=True,
    )
    if workers <= 1:
        _worker(host, port, reuse_port=False)
        return 0
    return _supervise(host, port, workers)


def _supervise(host: str, port: int, workers: int) -> int:
    ctx = mp.get_context("spawn")
    procs: list[mp.process.BaseProcess] = []
    stopping = False

    def start(index: int) -> mp.process.BaseProcess:
        p = ctx.Process(target=_worker, args=(host, port, True, index), daemon=False)
        p.start()
        return p

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    procs = [start(i) for i in range(workers)]
    # A worker that dies (crash, OOM kill) is replaced; WeChat's retry reaches a live one.
    while not stopping:
        time.sleep(0.5)
        for i, p in enumerate(procs):
            if not p.is_alive() and not stopping:
                log.warning("worker exited, restarting", extra={"exitcode": p.exitcode})
                procs[i] = start(i)
    for p in procs:
        p.terminate()
    for p in procs:
        p.join(10)
    return 0
