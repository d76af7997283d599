"""Database engine and sessions over SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from fengqiao.storage.models import Base


def async_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs as operators write them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_timeout", 5)
    kwargs.setdefault("connect_args", {"timeout": 5, "command_timeout": 15})
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False


class Database:
    """Engine + sessions, with write transactions serialised where the engine needs it."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        import asyncio

        self.url = async_url(url)
        self.engine = create_engine(self.url, **engine_kwargs)
        self.sessions = session_factory(self.engine)
        self.is_sqlite = self.url.startswith("sqlite")
        # SQLite has one writer; queueing writers here avoids "database is locked" storms.
        self._sqlite_write_lock = asyncio.Lock()

    def transaction(self) -> Any:
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def _tx() -> Any:
            if self.is_sqlite:
                async with self._sqlite_write_lock:
                    async with self.sessions() as session, session.begin():
                        yield session
            else:
                async with self.sessions() as session, session.begin():
                    yield session

        return _tx()

    def read(self) -> Any:
        return self.sessions()

    async def ping(self) -> bool:
        return await ping(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()


__all__ = ["Base", "Database", "async_url", "create_engine", "ping", "session_factory"]
