"""Key-value store for ephemeral shared state: dialog sessions, message de-dup, locks, tokens.

Two implementations of one interface: in-process (embedded default, one worker, kept in a
SQLite file so a restart loses nothing) and Redis (shared by all workers and hosts).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from pathlib import Path
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from fengqiao.storage.checkpoint import Checkpointer, Gate


class StoreUnavailable(RuntimeError):
    """The key-value store cannot be reached; callers answer 503 or a polite retry message."""


class KeyValueStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes | str, ttl: float | None = None) -> None: ...
    async def set_many(self, items: Mapping[str, tuple[bytes | str, float | None]]) -> None: ...
    async def set_if_absent(self, key: str, value: bytes | str, ttl: float) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl: float) -> int: ...
    async def expire_if(self, key: str, value: bytes | str, ttl: float) -> bool: ...
    async def replace_if(
        self, key: str, expected: bytes | str, value: bytes | str, ttl: float
    ) -> bool: ...
    def lock(self, name: str, ttl: float, wait: float) -> AbstractAsyncContextManager[bool]: ...
    async def publish(self, channel: str, message: bytes | str) -> None: ...
    def subscribe(self, channel: str) -> AsyncIterator[bytes]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


# Keys that need not outlive the process start with this prefix: once-only claims of WeChat
# deliveries, rate-limit windows, short caches. The embedded store keeps them in memory only,
# sparing a disk write on every message; Redis stores them like any other key.
EPHEMERAL = "tmp:"
_SWEEP_EVERY = 4096  # in-memory writes between purges of expired ephemeral keys
_RECENT = 8192  # durable keys whose values the embedded store also keeps in memory


def _b(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


_UPSERT = (
    "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires"
)


class LocalStore:
    """Embedded store: one SQLite file in the data directory, so dialog sessions survive a
    restart of the service (keys starting with EPHEMERAL live in memory only). Correct for
    one process; several workers need Redis. Being the file's only user, it answers reads of
    recently used keys from memory.

    `set` returns once its value is committed to the file, but the sets made during one turn
    of the event loop (every dialog turn saves its session) share one transaction, committed
    at the start of the next: one commit and one warm pass through SQLite instead of one
    cold pass each, which cost more than the rest of a turn. From the moment it is set, a
    value is what this process reads; if the commit fails, every set in it raises and the
    values go back to what the file holds. Other writes commit at once, after what is staged."""

    def __init__(self, path: Path | None) -> None:
        # ":memory:" for tests and throwaway runs; a file for the service.
        self._db = sqlite3.connect(str(path) if path else ":memory:", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Writers wait on the gate while a thread checkpoints (see storage/checkpoint).
        self._gate = Gate()
        self._checkpoints = Checkpointer(path, self._gate) if path else None
        if self._checkpoints is not None:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB, expires REAL)"
        )
        self._db.execute(
            "DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?", (time.time(),)
        )
        self._channels: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._locks: dict[str, object] = {}
        self._memory: dict[str, tuple[bytes, float | None]] = {}  # EPHEMERAL keys
        self._writes = 0
        # Durable keys read or written lately, oldest first; None: known to be absent.
        self._recent: dict[str, tuple[bytes, float | None] | None] = {}
        # Sets waiting for this loop turn's commit, and the futures of their callers.
        self._staged: dict[str, tuple[bytes, float | None]] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._commit_due: asyncio.AbstractEventLoop | None = None  # where it is scheduled
        self._commit_task: asyncio.Task[None] | None = None

    def _live(self, key: str) -> bytes | None:
        if key.startswith(EPHEMERAL):
            held = self._memory.get(key)
            if held is None:
                return None
            if held[1] is not None and held[1] <= time.time():
                del self._memory[key]
                return None
            return held[0]
        if key in self._recent:
            held = self._recent[key]
        elif key in self._staged:  # pushed out of the recent ones before its commit
            held = self._staged[key]
        else:
            row = self._db.execute("SELECT value, expires FROM kv WHERE key = ?", (key,)).fetchone()
            held = (bytes(row[0]), row[1]) if row else None
            self._remember(key, held)
        if held is None:
            return None
        if held[1] is not None and held[1] <= time.time():
            if not self._gate.locked():
                self._commit()  # what is staged goes first: the order of writes is kept
                self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
                self._wrote()
            # Else a checkpoint holds writers off (see storage/checkpoint), and a read must not
            # write behind its back: the row stays, expired, until a later read or start-up.
            self._remember(key, None)
            return None
        return held[0]

    def _remember(self, key: str, held: tuple[bytes, float | None] | None) -> None:
        self._recent.pop(key, None)
        self._recent[key] = held
        if len(self._recent) > _RECENT:
            del self._recent[next(iter(self._recent))]

    def _put(self, key: str, value: bytes, expires: float | None) -> None:
        if key.startswith(EPHEMERAL):
            self._memory[key] = (value, expires)
            self._writes += 1
            if self._writes % _SWEEP_EVERY == 0:
                now = time.time()
                for k in [k for k, (_, e) in self._memory.items() if e is not None and e <= now]:
                    del self._memory[k]
            return
        self._commit()  # what is staged goes first: the order of writes is kept
        self._db.execute(_UPSERT, (key, value, expires))
        self._remember(key, (value, expires))
        self._wrote()

    def _stage(self, key: str, value: bytes, expires: float | None) -> None:
        """A durable set, committed with the others of this loop turn (see the class)."""
        loop = asyncio.get_running_loop()
        if self._commit_due is not loop:
            loop.call_soon(self._commit_soon)
            self._commit_due = loop
        self._staged[key] = (value, expires)
        self._remember(key, (value, expires))

    def _committed(self) -> asyncio.Future[None]:
        """Done when what is staged now is committed (or has failed to be)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return waiter

    def _commit_soon(self) -> None:
        if self._commit_due is None:
            return  # committed meanwhile, by a write that had to go after it
        if not self._gate.locked():
            self._commit()
        elif self._commit_task is None:  # a checkpoint holds writers off: commit after it
            self._commit_task = asyncio.get_running_loop().create_task(self._commit_after_gate())

    async def _commit_after_gate(self) -> None:
        try:
            await self._gate.wait_open()
            self._commit()
        finally:
            self._commit_task = None

    def _commit(self) -> None:
        """Commit what is staged, and tell each caller how it went."""
        self._commit_due = None
        if not self._staged:
            return
        staged, waiters = self._staged, self._waiters
        self._staged, self._waiters = {}, []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(_UPSERT, [(k, v, e) for k, (v, e) in staged.items()])
            self._db.execute("COMMIT")
        except BaseException as exc:
            if self._db.in_transaction:  # leave none open, or every later commit fails too
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            for key in staged:
                self._recent.pop(key, None)  # read back from the file from now on
            if not isinstance(exc, Exception):
                raise
            for waiter in waiters:  # each caller gets the failure
                if not waiter.done() and not waiter.get_loop().is_closed():
                    waiter.set_exception(exc)
            return
        self._wrote()
        for waiter in waiters:
            # A cancelled caller, or one whose loop has gone: committed all the same.
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_result(None)

    def _wrote(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.wrote()

    async def _settled(self, key: str) -> None:
        """Before a write to the file: wait out a running checkpoint (see storage/checkpoint).
        Callers read, decide and write after this with no await in between."""
        if self._gate.locked() and not key.startswith(EPHEMERAL):
            await self._gate.wait_open()

    def _expires(self, key: str) -> float | None:
        if key.startswith(EPHEMERAL):
            held = self._memory.get(key)
            return held[1] if held else None
        self._live(key)
        held = self._recent.get(key)
        return held[1] if held else None

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def set(self, key: str, value: bytes | str, ttl: float | None = None) -> None:
        await self.set_many({key: (value, ttl)})

    async def set_many(self, items: Mapping[str, tuple[bytes | str, float | None]]) -> None:
        """Several sets, each with its ttl, in one commit: for a caller whose keys go together,
        without a task per `set` to share the commit (each such task costs the caller two
        more turns of a busy event loop)."""
        durable = [key for key in items if not key.startswith(EPHEMERAL)]
        if durable:
            await self._settled(durable[0])  # every durable key waits on the one gate
        now = time.time()
        for key, (value, ttl) in items.items():
            expires = now + ttl if ttl else None
            if key.startswith(EPHEMERAL):
                self._put(key, _b(value), expires)
            else:
                self._stage(key, _b(value), expires)
        if durable:
            await self._committed()

    async def set_if_absent(self, key: str, value: bytes | str, ttl: float) -> bool:
        await self._settled(key)
        if self._live(key) is not None:
            return False
        self._put(key, _b(value), time.time() + ttl)
        return True

    async def delete(self, key: str) -> None:
        if key.startswith(EPHEMERAL):
            self._memory.pop(key, None)
        else:
            await self._settled(key)
            self._commit()  # what is staged goes first: the order of writes is kept
            self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
            self._remember(key, None)
            self._wrote()

    async def incr(self, key: str, ttl: float) -> int:
        await self._settled(key)
        current = self._live(key)
        if current is None:
            self._put(key, b"1", time.time() + ttl)
            return 1
        value = int(current) + 1
        self._put(key, str(value).encode(), self._expires(key))  # the window keeps its end
        return value

    async def expire_if(self, key: str, value: bytes | str, ttl: float) -> bool:
        await self._settled(key)
        current = self._live(key)
        if current != _b(value):
            return False
        self._put(key, current, time.time() + ttl)
        return True

    async def replace_if(
        self, key: str, expected: bytes | str, value: bytes | str, ttl: float
    ) -> bool:
        await self._settled(key)
        if self._live(key) != _b(expected):
            return False
        self._put(key, _b(value), time.time() + ttl)
        return True

    @asynccontextmanager
    async def lock(self, name: str, ttl: float, wait: float) -> AsyncIterator[bool]:
        # One process owns this store, so locks live in memory: no disk write per turn. A
        # holder can only die with the whole process, so a held lock never expires (as a
        # Redis lock is renewed while held).
        deadline = time.monotonic() + wait
        while name in self._locks:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"lock {name} busy")
            await asyncio.sleep(0.005)
        token = object()
        self._locks[name] = token
        try:
            yield True
        finally:
            if self._locks.get(name) is token:
                del self._locks[name]

    async def publish(self, channel: str, message: bytes | str) -> None:
        for queue in list(self._channels.get(channel, ())):
            queue.put_nowait(_b(message))

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._channels.setdefault(channel, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._channels[channel].discard(queue)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        if self._commit_task is not None:
            await self._commit_task
        self._commit()
        if self._checkpoints is not None:
            await self._checkpoints.close()
        self._db.close()


# Release only if we still own the lock, atomically.
_UNLOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
# Replace a value only while it is still the one we wrote.
_REPLACE_IF = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1
end
return 0
"""
# Extend a lease only while it is still ours.
_EXPIRE_IF = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


async def _keep_alive(store: KeyValueStore, key: str, token: bytes | str, ttl: float) -> None:
    """Renew a lease every third of its TTL while its holder runs (cancelled on release).

    Leases can then be short: a worker killed while holding one frees it within `ttl`
    seconds, instead of blocking the resident's next message for a long fixed TTL.
    """
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            if not await store.expire_if(key, token, ttl):
                return
        except StoreUnavailable:
            continue  # the store is back soon, or the lease lapses: both are safe


class RedisStore:
    def __init__(self, url: str, max_connections: int = 200) -> None:
        # A blocking pool: under a burst, callers queue for a connection (up to 2 s) instead
        # of failing at once with "Too many connections" as the default pool does at 100.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=2.0,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            health_check_interval=15,
        )
        self._pool = pool
        self._redis = aioredis.Redis(connection_pool=pool)
        self._unlock = self._redis.register_script(_UNLOCK)
        self._expire_if = self._redis.register_script(_EXPIRE_IF)
        self._replace_if = self._redis.register_script(_REPLACE_IF)

    async def _call(self, coro):  # type: ignore[no-untyped-def]
        try:
            return await coro
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get(self, key: str) -> bytes | None:
        return await self._call(self._redis.get(key))  # type: ignore[no-any-return]

    async def set(self, key: str, value: bytes | str, ttl: float | None = None) -> None:
        px = int(ttl * 1000) if ttl else None
        await self._call(self._redis.set(key, _b(value), px=px))

    async def set_many(self, items: Mapping[str, tuple[bytes | str, float | None]]) -> None:
        """Several sets, each with its ttl, in one round trip (MULTI/EXEC: all or none)."""
        pipe = self._redis.pipeline(transaction=True)
        for key, (value, ttl) in items.items():
            pipe.set(key, _b(value), px=int(ttl * 1000) if ttl else None)
        await self._call(pipe.execute())

    async def set_if_absent(self, key: str, value: bytes | str, ttl: float) -> bool:
        return bool(await self._call(self._redis.set(key, _b(value), px=int(ttl * 1000), nx=True)))

    async def delete(self, key: str) -> None:
        await self._call(self._redis.delete(key))

    async def incr(self, key: str, ttl: float) -> int:
        async def run() -> int:
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.pexpire(key, int(ttl * 1000), nx=True)
            value, _ = await pipe.execute()
            return int(value)

        return await self._call(run())  # type: ignore[no-any-return]

    async def expire_if(self, key: str, value: bytes | str, ttl: float) -> bool:
        done = await self._call(self._expire_if(keys=[key], args=[_b(value), int(ttl * 1000)]))
        return bool(done)

    async def replace_if(
        self, key: str, expected: bytes | str, value: bytes | str, ttl: float
    ) -> bool:
        args: list[bytes | int] = [_b(expected), _b(value), int(ttl * 1000)]
        return bool(await self._call(self._replace_if(keys=[key], args=args)))

    @asynccontextmanager
    async def lock(self, name: str, ttl: float, wait: float) -> AsyncIterator[bool]:
        """Held across workers; renewed while held, so `ttl` only bounds a dead holder."""
        token = uuid.uuid4().hex
        key = f"lock:{name}"
        deadline = time.monotonic() + wait
        while not await self.set_if_absent(key, token, ttl):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"lock {name} busy")
            await asyncio.sleep(0.02)
        renew = asyncio.create_task(_keep_alive(self, key, token, ttl))  # type: ignore[arg-type]
        try:
            yield True
        finally:
            renew.cancel()
            try:
                await self._unlock(keys=[key], args=[token])
            except (RedisError, OSError):
                pass  # the lock expires by its TTL

    async def publish(self, channel: str, message: bytes | str) -> None:
        await self._call(self._redis.publish(channel, _b(message)))

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        pubsub = self._redis.pubsub()
        await self._call(pubsub.subscribe(channel))
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield message["data"]
        finally:
            await pubsub.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()
        await self._pool.aclose()


def open_store(redis_url: str, local_path: Path | None = None) -> KeyValueStore:
    if redis_url:
        return RedisStore(redis_url)  # type: ignore[return-value]
    return LocalStore(local_path)  # type: ignore[return-value]
