"""Database engine and sessions over SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from fengqiao.storage import inline_sqlite, jsoncodec
from fengqiao.storage.checkpoint import Checkpointer, Gate
from fengqiao.storage.models import Base

T = TypeVar("T")
E = TypeVar("E", AsyncEngine, Engine)


def async_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs as operators write them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _sqlite_pragmas(engine: E, busy_ms: int, autocheckpoint: bool = True) -> E:
    target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(target, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        # WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        if not autocheckpoint:
            cur.execute("PRAGMA wal_autocheckpoint=0")  # a Checkpointer's thread does it
        cur.close()

    return engine


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    kwargs.setdefault("json_serializer", jsoncodec.dumps_text)
    kwargs.setdefault("json_deserializer", jsoncodec.loads)
    if url.startswith("sqlite"):
        return _sqlite_pragmas(
            create_async_engine(url, connect_args={"timeout": 30}, **kwargs), 30000
        )
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_timeout", 5)
    kwargs.setdefault("connect_args", {"timeout": 5, "command_timeout": 15})
    return create_async_engine(url, **kwargs)


# An inline writer waits for another process's write (the command line) on the loop's thread:
# briefly, then the write fails and the caller answers "try again" instead of freezing.
INLINE_BUSY_MS = 2000
_INLINE_ARGS: dict[str, Any] = {
    # The pool may close a connection from another thread than the loop's.
    "connect_args": {"timeout": INLINE_BUSY_MS / 1000, "check_same_thread": False},
    "json_serializer": jsoncodec.dumps_text,
    "json_deserializer": jsoncodec.loads,
}


def _inline_writer(engine: AsyncEngine) -> AsyncEngine | None:
    """A second engine on the same SQLite file whose connections run on the loop's thread
    (see inline_sqlite); None for an in-memory database, which one engine must own."""
    if engine.url.database in (None, "", ":memory:") or "mode=memory" in str(engine.url):
        return None
    writer = create_async_engine(engine.url.set(drivername=inline_sqlite.NAME), **_INLINE_ARGS)
    return _sqlite_pragmas(writer, INLINE_BUSY_MS, autocheckpoint=False)


def _core_writer(writer: AsyncEngine) -> Engine:
    """The inline writer's file as a plain engine, for `Database.write`: same pragmas, no
    AsyncSession, no greenlet. (The async engine's own sync side cannot serve: its first
    connection waits on an asyncio lock.)"""
    core = create_sync_engine(writer.url.set(drivername="sqlite+pysqlite"), **_INLINE_ARGS)
    return _sqlite_pragmas(core, INLINE_BUSY_MS, autocheckpoint=False)


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
        self.url = async_url(url)
        self.engine = create_engine(self.url, **engine_kwargs)
        self.sessions = session_factory(self.engine)
        self.is_sqlite = self.url.startswith("sqlite")
        # SQLite has one writer; queueing writers here avoids "database is locked" storms.
        self._sqlite_write_lock = Gate()
        self.writer = _inline_writer(self.engine) if self.is_sqlite else None
        self._write_sessions = session_factory(self.writer) if self.writer else self.sessions
        self._core = _core_writer(self.writer) if self.writer else None
        # `write` keeps one connection of `_core`: it is only used under the write gate, and
        # checking a connection out of the pool and back (a rollback) for every filing cost
        # as much as the filing's transaction itself.
        self._core_conn: Connection | None = None
        self.checkpointer = (
            Checkpointer(str(self.writer.url.database), self._sqlite_write_lock)
            if self.writer
            else None
        )

    def transaction(self) -> Any:
        """A write transaction. On SQLite its statements run on the loop's own thread (see
        inline_sqlite), so keep it short: a long scan belongs in a `read()` before it."""
        from contextlib import asynccontextmanager

        sessions = self._write_sessions

        @asynccontextmanager
        async def _tx() -> Any:
            if self.is_sqlite:
                async with self._sqlite_write_lock:
                    session = sessions()
                    try:
                        async with session.begin():
                            yield session
                    finally:
                        # Not `async with session`: its exit closes through a shielded task,
                        # three loop turns under load while this holds the write lock. Here
                        # closing runs inline and cannot be interrupted halfway.
                        await session.close()
                if self.checkpointer is not None:
                    self.checkpointer.wrote()
            else:
                async with sessions() as session, session.begin():
                    yield session

        return _tx()

    async def write(self, work: Callable[..., T], *args: Any) -> T:
        """`work(connection, *args)` in one write transaction of Core statements, committed
        when it returns: for the hot writes (filing). On SQLite it runs on the loop's thread
        through a plain engine, under the same write gate as `transaction`, with no
        AsyncSession and no greenlet (they cost a filing more than its statements); on
        PostgreSQL through AsyncConnection.run_sync."""
        if self._core is not None:
            async with self._sqlite_write_lock:
                conn = self._core_conn
                if conn is None or conn.closed:
                    conn = self._core_conn = self._core.connect()
                with conn.begin():
                    result = work(conn, *args)
            if self.checkpointer is not None:
                self.checkpointer.wrote()
            return result
        if self.is_sqlite:  # in memory: the one aiosqlite engine
            async with self._sqlite_write_lock, self.engine.begin() as aconn:
                return await aconn.run_sync(work, *args)
        async with self.engine.begin() as aconn:
            return await aconn.run_sync(work, *args)

    def read(self) -> Any:
        return self.sessions()

    async def ping(self) -> bool:
        return await ping(self.engine)

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            await self.checkpointer.close()
        if self._core_conn is not None:
            self._core_conn.close()
        if self._core is not None:
            self._core.dispose()
        if self.writer is not None:
            await self.writer.dispose()
        await self.engine.dispose()


__all__ = ["Base", "Database", "async_url", "create_engine", "ping", "session_factory"]
