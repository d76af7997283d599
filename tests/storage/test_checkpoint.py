"""WAL checkpoints run in a thread, never inside a commit on the event loop (storage/checkpoint)."""

import asyncio
import sqlite3

from sqlalchemy import text

from fengqiao.storage.checkpoint import Checkpointer, Gate
from fengqiao.storage.db import Database
from fengqiao.storage.kv import LocalStore


async def test_commits_on_the_loop_leave_checkpoints_to_the_thread(tmp_path):
    path = tmp_path / "x.db"
    db = Database(f"sqlite:///{path}")
    db.checkpointer.after = 0.05
    try:
        async with db.transaction() as session:
            mode = await session.scalar(text("PRAGMA wal_autocheckpoint"))
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)"))
        assert mode == 0  # SQLite itself never checkpoints inside the loop's commit
        for _ in range(300):  # ~1,200 pages: past SQLite's own threshold of 1,000
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO t (v) VALUES (randomblob(16000))"))
        assert db.checkpointer.runs == 0  # nothing copied on the loop in the meantime
        await asyncio.sleep(0.3)
        assert db.checkpointer.runs >= 1
        assert db.checkpointer._log_pages > 1000  # it saw (and copied) the whole log
    finally:
        await db.dispose()
    conn = sqlite3.connect(path)  # everything is in the database file
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 300
    conn.close()


async def test_a_long_log_holds_writers_until_it_is_copied_then_restarts(tmp_path):
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    checkpoints = store._checkpoints
    checkpoints.after = 0.02
    checkpoints.limit = 50
    try:
        # In one turn of the loop, so one commit: no checkpoint can run between the writes
        # (sets awaited one by one yield to the loop, and the timer may fire among them).
        await asyncio.gather(*(store.set(f"dialog:{i}", b"x" * 6000) for i in range(200)))
        await asyncio.sleep(0.2)  # an ungated checkpoint: it learns the log is long
        assert checkpoints.runs >= 1 and checkpoints.gated == 0
        await store.set("dialog:next", b"y")
        await asyncio.sleep(0.2)  # the next one holds writers off and copies everything
        assert checkpoints.gated == 1
        assert checkpoints._log_pages == 0
        size_before = (path.parent / "kv.sqlite-wal").stat().st_size
        await store.set("dialog:after", b"z")  # ...so this write starts the log afresh
        conn = sqlite3.connect(path)
        frames = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        conn.close()
        assert frames <= 3, (frames, size_before)
        assert await store.get("dialog:199") == b"x" * 6000
        assert await store.get("dialog:after") == b"z"
    finally:
        await store.close()


async def test_writes_wait_for_a_running_gated_checkpoint_and_then_all_succeed(tmp_path):
    store = LocalStore(tmp_path / "kv.sqlite")
    try:
        async with store._gate:  # as a gated checkpoint holds it
            writes = [asyncio.create_task(store.set(f"dialog:{i}", b"v")) for i in range(20)]
            ephemeral = asyncio.create_task(store.set("tmp:claim", b"1"))
            await asyncio.sleep(0.05)
            assert not any(w.done() for w in writes)  # durable writes wait...
            assert ephemeral.done()  # ...keys kept in memory do not
        await asyncio.gather(*writes)
        assert [await store.get(f"dialog:{i}") for i in range(20)] == [b"v"] * 20
    finally:
        await store.close()


async def test_the_gate_wakes_every_waiter_in_one_turn_of_the_loop():
    # asyncio.Lock would wake one waiter per turn: behind a checkpoint, ten writers on a busy
    # loop then take ten turns (~20 ms each under load) to get through.
    gate = Gate()
    resumed: list[int] = []

    async def writer(i: int) -> None:
        async with gate:
            resumed.append(i)  # no await inside: as an inline SQLite transaction

    async with gate:
        tasks = [asyncio.create_task(writer(i)) for i in range(10)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert resumed == []
    await asyncio.sleep(0)  # the waiters' wake-ups are scheduled...
    await asyncio.sleep(0)  # ...and have all run
    assert sorted(resumed) == list(range(10))
    await asyncio.gather(*tasks)


async def test_a_cancelled_waiter_does_not_cancel_the_others():
    gate = Gate()
    async with gate:
        first = asyncio.create_task(gate.wait_open())
        second = asyncio.create_task(gate.wait_open())
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
    await asyncio.wait_for(second, 1)
    assert first.cancelled() and second.done() and not second.cancelled()


async def test_close_waits_for_a_running_checkpoint(tmp_path):
    path = tmp_path / "x.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (v BLOB)")
    for _ in range(100):
        conn.execute("INSERT INTO t VALUES (randomblob(8000))")
    checkpoints = Checkpointer(path, Gate(), after=0)
    checkpoints.wrote()
    while checkpoints._running is None:  # started: running in its thread
        await asyncio.sleep(0)
    await checkpoints.close()
    assert checkpoints.runs == 1 and checkpoints._conn is None
    checkpoints.wrote()  # closed: nothing more is scheduled
    assert checkpoints._due is None
    conn.close()
