import asyncio
import sqlite3

import pytest

from fengqiao.storage.kv import EPHEMERAL, LocalStore, RedisStore
from tests.conftest import LoopTurns, require, reset_redis


@pytest.fixture(params=["", EPHEMERAL], ids=["durable", "ephemeral"])
def k(request):
    """Key names of both kinds: the embedded store keeps EPHEMERAL ones in memory only, and
    they must behave exactly like the others."""
    return lambda name: request.param + name


@pytest.fixture(params=["local", "redis"])
async def store(request, tmp_path):
    if request.param == "local":
        s = LocalStore(tmp_path / "kv.sqlite")
    else:
        url = require("FENGQIAO_TEST_REDIS_URL")
        await reset_redis(url)
        s = RedisStore(url)
    yield s
    await s.close()


async def test_set_get_ttl(store, k):
    await store.set(k("a"), "1")
    await store.set(k("b"), b"2", ttl=0.05)
    assert await store.get(k("a")) == b"1"
    assert await store.get(k("b")) == b"2"
    await asyncio.sleep(0.12)
    assert await store.get(k("b")) is None
    await store.delete(k("a"))
    assert await store.get(k("a")) is None


async def test_set_many_sets_each_key_with_its_ttl(store, k):
    await store.set(k("b"), "old")
    # Long enough that three reads on a busy machine happen inside it.
    await store.set_many({k("a"): ("1", None), k("b"): (b"2", 0.5), "c": ("3", 60)})
    assert [await store.get(key) for key in (k("a"), k("b"), "c")] == [b"1", b"2", b"3"]
    await asyncio.sleep(0.8)
    assert await store.get(k("b")) is None
    assert await store.get(k("a")) == b"1" and await store.get("c") == b"3"


async def test_set_if_absent_is_exclusive(store, k):
    results = await asyncio.gather(*(store.set_if_absent(k("k"), str(i), 5) for i in range(20)))
    assert results.count(True) == 1


async def test_incr_counts_and_expires(store, k):
    assert [await store.incr(k("n"), 0.1) for _ in range(3)] == [1, 2, 3]
    await asyncio.sleep(0.15)
    assert await store.incr(k("n"), 0.1) == 1


async def test_lock_serialises_holders(store):
    inside = 0
    peak = 0

    async def worker():
        nonlocal inside, peak
        async with store.lock("L", ttl=5, wait=5):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(worker() for _ in range(8)))
    assert peak == 1


async def test_lock_times_out_when_held(store):
    async with store.lock("held", ttl=5, wait=1):
        with pytest.raises(TimeoutError):
            async with store.lock("held", ttl=5, wait=0.1):
                pass


async def test_publish_reaches_subscriber(store):
    received = []

    async def listen():
        async for message in store.subscribe("room"):
            received.append(message)
            return

    task = asyncio.create_task(listen())
    await asyncio.sleep(0.1)
    await store.publish("room", "hello")
    await asyncio.wait_for(task, 2)
    assert received == [b"hello"]


async def test_local_store_survives_reopen(tmp_path):
    path = tmp_path / "kv.sqlite"
    first = LocalStore(path)
    await first.set("dialog:x", "state", ttl=60)
    await first.close()
    second = LocalStore(path)
    assert await second.get("dialog:x") == b"state"
    await second.close()


async def test_local_store_keeps_ephemeral_keys_in_memory_only(tmp_path):
    path = tmp_path / "kv.sqlite"
    first = LocalStore(path)
    await first.set(EPHEMERAL + "claim", "pending", ttl=60)
    assert await first.incr(EPHEMERAL + "rate:u", 60) == 1
    assert await first.get(EPHEMERAL + "claim") == b"pending"
    await first.close()
    on_disk = sqlite3.connect(path).execute("SELECT count(*) FROM kv").fetchone()[0]
    assert on_disk == 0
    second = LocalStore(path)
    assert await second.get(EPHEMERAL + "claim") is None
    await second.close()


async def test_expire_if_extends_only_the_holders_lease(store, k):
    await store.set(k("lease"), "mine", ttl=0.2)
    assert not await store.expire_if(k("lease"), "theirs", 5)
    assert await store.expire_if(k("lease"), "mine", 5)
    await asyncio.sleep(0.3)
    assert await store.get(k("lease")) == b"mine"
    assert not await store.expire_if(k("missing"), "mine", 5)


async def test_a_held_lock_outlives_its_ttl(store):
    # The TTL only bounds a holder that died; a live holder keeps its lock however long it runs.
    async with store.lock("long", ttl=0.3, wait=1):
        await asyncio.sleep(0.7)
        with pytest.raises(TimeoutError):
            async with store.lock("long", ttl=0.3, wait=0.05):
                pass
    async with store.lock("long", ttl=0.3, wait=0.05):
        pass


async def test_replace_if_only_replaces_the_expected_value(store, k):
    await store.set(k("claim"), "pending:a", ttl=5)
    assert not await store.replace_if(k("claim"), "pending:b", "done-by-b", 5)
    assert await store.replace_if(k("claim"), "pending:a", "done-by-a", 5)
    assert await store.get(k("claim")) == b"done-by-a"
    assert not await store.replace_if(k("nothing"), "x", "y", 5)


def _on_disk(path, key):
    """What another connection reads from the store's file: what is committed."""
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return bytes(row[0]) if row else None


async def test_local_sets_of_one_loop_turn_share_one_commit(tmp_path):
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    statements = []
    store._db.set_trace_callback(statements.append)

    async def save(i):
        await store.set(f"dialog:{i}", f"turn {i}", ttl=60)
        assert _on_disk(path, f"dialog:{i}") == f"turn {i}".encode()  # durable on return

    await asyncio.gather(*(save(i) for i in range(20)))
    assert statements.count("COMMIT") == 1
    await store.close()


async def test_local_set_many_is_one_commit_done_on_return(tmp_path):
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    statements = []
    store._db.set_trace_callback(statements.append)
    async with LoopTurns() as loop_turns:
        before = loop_turns.count
        await store.set_many(
            {"dialog:a": ("a", 60), "mark:a": ("1", 3600), EPHEMERAL + "x": ("", 5)}
        )
        # The commit's own loop turn and the wake-up: no more than a single set costs.
        assert loop_turns.count - before <= 2
    assert statements.count("COMMIT") == 1
    assert _on_disk(path, "dialog:a") == b"a" and _on_disk(path, "mark:a") == b"1"
    assert _on_disk(path, EPHEMERAL + "x") is None  # in memory only, as for set
    await store.close()


class _FailingCommits:
    """The store's connection, but every COMMIT fails as on a full disk."""

    def __init__(self, db):
        self.db = db

    def execute(self, sql, *args):
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.db, name)


async def test_a_failed_commit_fails_every_set_in_it_and_nothing_changes(tmp_path):
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    await store.set("dialog:a", "old")
    real, store._db = store._db, _FailingCommits(store._db)
    results = await asyncio.gather(
        store.set("dialog:a", "new"), store.set("dialog:b", "x"), return_exceptions=True
    )
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)
    assert await store.get("dialog:a") == b"old"  # not the value that was never stored
    assert await store.get("dialog:b") is None
    with pytest.raises(sqlite3.OperationalError):
        await store.set_many({"dialog:a": ("new", None), "dialog:c": ("x", None)})
    assert await store.get("dialog:a") == b"old" and await store.get("dialog:c") is None
    store._db = real
    await store.set("dialog:b", "y")  # and the store goes on
    assert _on_disk(path, "dialog:a") == b"old" and _on_disk(path, "dialog:b") == b"y"
    await store.close()


async def test_a_write_after_a_staged_set_keeps_their_order(tmp_path):
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    first = asyncio.ensure_future(store.set("k", "first", ttl=60))
    await asyncio.sleep(0)  # `first` is staged; its commit is due at the next loop turn
    assert _on_disk(path, "k") is None
    assert await store.set_if_absent("k", "other", 60) is False  # the staged value counts
    assert await store.replace_if("k", "first", "second", 60) is True
    await first
    assert _on_disk(path, "k") == b"second"  # not overwritten by the earlier set
    await store.close()


async def test_a_staged_set_waits_out_a_checkpoint_holding_writers_off(tmp_path):
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    pending = asyncio.ensure_future(store.set("k", "v"))
    await asyncio.sleep(0)  # staged
    await store._gate.__aenter__()  # as the checkpointer does past its log limit
    await asyncio.sleep(0.05)
    assert not pending.done() and _on_disk(path, "k") is None
    await store._gate.__aexit__(None, None, None)
    await asyncio.wait_for(pending, 1)
    assert _on_disk(path, "k") == b"v"
    await store.close()


async def test_reading_an_expired_key_writes_nothing_while_a_checkpoint_holds_writers_off(
    tmp_path,
):
    # Past its log limit a checkpoint closes the gate so that it can finish the whole log; a
    # read that deleted an expired key then would append to that log behind its back.
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    await store.set("k", "v", ttl=0.05)
    await asyncio.sleep(0.1)  # expired, still in the file
    await store._gate.__aenter__()
    try:
        assert await store.get("k") is None
        assert _on_disk(path, "k") == b"v"  # untouched while the gate is closed
    finally:
        await store._gate.__aexit__(None, None, None)
    assert await store.get("k") is None
    assert await store.set_if_absent("k", "new", 60) is True  # the expired row is no obstacle
    assert _on_disk(path, "k") == b"new"
    await store.close()


async def test_closing_commits_what_is_staged(tmp_path):
    path = tmp_path / "kv.sqlite"
    store = LocalStore(path)
    pending = asyncio.ensure_future(store.set("k", "v"))
    await asyncio.sleep(0)
    await store.close()
    await pending
    assert _on_disk(path, "k") == b"v"
