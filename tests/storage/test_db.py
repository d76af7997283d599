"""SQLite write transactions run on the event loop's thread (fengqiao.storage.inline_sqlite)."""

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from fengqiao.storage.db import Database


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    yield database
    await database.dispose()


async def test_a_write_transaction_never_hands_the_loop_over(db):
    # aiosqlite would give each statement a round trip through the loop: under load, other
    # filings then queued behind this one's lock for many loop turns.
    ran = []
    other = asyncio.get_running_loop().call_soon(ran.append, "other")
    threads = threading.active_count()
    async with db.transaction() as session:
        for i in range(20):
            await session.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": str(i)})
        assert ran == [] and threading.active_count() == threads
    assert ran == []  # closing the session did not hand it over either
    other.cancel()
    async with db.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM t")) == 20


async def test_a_failed_transaction_leaves_nothing(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t (v) VALUES ('half')"))
            raise RuntimeError("crash mid-write")
    async with db.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM t")) == 0
    async with db.transaction() as session:  # and the writer is free again
        await session.execute(text("INSERT INTO t (v) VALUES ('next')"))


async def test_another_process_holding_the_write_lock_fails_the_write_quickly(db, tmp_path):
    # The command line (another process) mid-write: the service must not freeze behind it.
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t (v) VALUES ('blocked')"))
    assert time.monotonic() - started < 5
    other.execute("ROLLBACK")
    other.close()
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('after')"))
    async with db.read() as session:
        assert await session.scalar(text("SELECT v FROM t")) == "after"


def _insert(conn, values):
    for v in values:
        conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": v})
    return conn.scalar(text("SELECT count(*) FROM t"))


def _insert_then_fail(conn):
    conn.execute(text("INSERT INTO t (v) VALUES ('half')"))
    raise RuntimeError("crash mid-write")


async def test_write_commits_core_statements_on_the_loops_thread(db):
    ran = []
    other = asyncio.get_running_loop().call_soon(ran.append, "other")
    threads = threading.active_count()
    assert await db.write(_insert, ["a", "b", "c"]) == 3
    assert ran == [] and threading.active_count() == threads
    other.cancel()
    async with db.read() as session:  # committed: another connection sees it
        assert await session.scalar(text("SELECT group_concat(v) FROM t")) == "a,b,c"


async def test_a_failed_write_leaves_nothing_and_frees_the_writer(db):
    with pytest.raises(RuntimeError):
        await db.write(_insert_then_fail)
    async with db.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM t")) == 0
    assert await db.write(_insert, ["next"]) == 1


async def test_write_waits_for_a_transaction_instead_of_colliding_with_it(db):
    # Two connections on one file: without the shared gate the second would get "database
    # is locked" after its busy timeout, or interleave with the first.
    order = []

    async def slow_transaction():
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t (v) VALUES ('first')"))
            order.append("transaction holds the lock")
            await asyncio.sleep(0.05)
        order.append("transaction committed")

    async def core_write():
        await asyncio.sleep(0.01)
        order.append("write asks")
        await db.write(_insert, ["second"])
        order.append("write committed")

    await asyncio.gather(slow_transaction(), core_write())
    assert order == [
        "transaction holds the lock",
        "write asks",
        "transaction committed",
        "write committed",
    ]
    async with db.read() as session:
        assert await session.scalar(text("SELECT group_concat(v) FROM t")) == "first,second"


async def test_another_process_holding_the_write_lock_fails_a_write_quickly(db, tmp_path):
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        await db.write(_insert, ["blocked"])
    assert time.monotonic() - started < 5
    other.execute("ROLLBACK")
    other.close()
    assert await db.write(_insert, ["after"]) == 1


async def test_the_writers_kept_connection_holds_nothing_between_writes(db, tmp_path):
    # `write` keeps its connection open between filings; an open read would pin the log,
    # and no checkpoint could empty it.
    for v in ("a", "b"):
        await db.write(_insert, [v])
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    other.close()
    assert busy == 0
    assert (tmp_path / "x.db-wal").stat().st_size == 0
