"""Shared fixtures: every service test runs on the embedded defaults and, when the variables
are set (CI sets and requires them), on PostgreSQL + Redis too."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fengqiao.settings import CONFIG_DIR, Settings

PG_URL = os.environ.get("FENGQIAO_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("FENGQIAO_TEST_REDIS_URL", "")
REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Browser tests skip on a developer machine without Chromium; in CI (which installs it) they
# run, and fail loudly if it is missing.
NO_BROWSER = not Path(CHROMIUM).exists() and not os.environ.get("CI")


def require(name: str, *, variant: bool = False) -> str:
    """The variable's value; in CI a missing one fails the test instead of skipping it.
    ``variant``: the PostgreSQL + Redis variant of a test that also runs embedded, which the
    skip reason says (a skipped [postgres_redis] test is not an untested one)."""
    value = os.environ.get(name, "")
    if not value:
        if os.environ.get("CI"):
            pytest.fail(f"{name} must be set in CI")
        also = "; its [embedded] variant runs on SQLite" if variant else ""
        pytest.skip(f"{name} not set{also}")
    return value


async def reset_postgres(url: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def reset_redis(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


_NLP_CACHE: list[Path] = []


def shared_nlp_cache() -> Path:
    """The classifier trained once for the whole run (about 10 s): each test's data directory
    starts with a copy, as a service restarted on the same data directory would."""
    if not _NLP_CACHE:
        from fengqiao.nlp.analyzer import Analyzer

        root = Path(tempfile.mkdtemp(prefix="fq-nlp-"))
        Analyzer.load(CONFIG_DIR, root)
        _NLP_CACHE.append(root / "nlp")
    return _NLP_CACHE[0]


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    shutil.copytree(shared_nlp_cache(), tmp_path / "var" / "nlp", dirs_exist_ok=True)
    values: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-key-0123456789",
        "public_url": "http://fengqiao.test",
        "config_dir": CONFIG_DIR,
        "centre_name": "测试县综治中心",
        "hotline": "0000-12345",
        "wechat_token": "spamtest",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _forget_finished_apps() -> object:
    """aiohttp caches each request's middleware chain with the application it belongs to
    (an lru_cache of 1024): one app per process in service, but in the tests every app would
    stay alive, ~50 MB each, until the run ran out of memory. Let them go after each test."""
    yield
    from aiohttp import web_app

    cached = getattr(web_app, "_cached_build_middleware", None)
    if cached is not None:
        cached.cache_clear()


@pytest.fixture(params=["embedded", "postgres_redis"])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for one backend; the database and store start empty."""
    if request.param == "embedded":
        yield make_settings(tmp_path)
        return
    # Only this variant skips without them; the test's [embedded] variant has run on SQLite.
    pg = require("FENGQIAO_TEST_DATABASE_URL", variant=True)
    redis_url = require("FENGQIAO_TEST_REDIS_URL", variant=True)
    await reset_postgres(pg)
    await reset_redis(redis_url)
    yield make_settings(tmp_path, database_url=pg, redis_url=redis_url)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[object]:
    from fengqiao.services import build_services

    built = await build_services(settings)
    yield built
    await built.close()


class LoopTurns:
    """Counts the turns of the running event loop while in use: under load every turn also
    runs the other requests' work, so code that makes its caller wait more turns answers later.

        async with LoopTurns() as loop_turns:
            ...; loop_turns.count
    """

    def __init__(self) -> None:
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            self.count += 1
            await asyncio.sleep(0)

    async def __aenter__(self) -> LoopTurns:
        self._task = asyncio.ensure_future(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


# WeChat's in-app browser on a phone: consent to service by WeChat is recorded only from it
# (documents/service_address.py), so browser tests of parties who opened WeChat links use it.
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 12; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/116.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) "
             "NetType/WIFI Language/zh_CN")
