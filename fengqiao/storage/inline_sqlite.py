"""SQLite write transactions run on the event loop's own thread.

aiosqlite gives every connection a worker thread and every statement a round trip to it: the
result comes back as a callback that waits for the event loop's next turn. When the loop is
busy serving fifty residents, one filing (eight short statements) then holds SQLite's single
write lock for many loop turns, and every other filing queues behind it. The statements
themselves take tens of microseconds on a local file (WAL, synchronous=NORMAL), so running
them directly is both faster and fairer; the key-value store already works this way.

`InlineConnection` keeps aiosqlite's interface (so SQLAlchemy's aiosqlite dialect drives it
unchanged) but runs each call at once instead of queueing it for a thread. Only write
transactions use it, and they are kept short; reads, which may scan a million cases for a
report, keep aiosqlite's threads so that they never stall the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call immediately and
    settles its future, so awaiting that future never yields to the loop."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no worker thread to start


def inline_creator(cargs: list[Any], cparams: dict[str, Any]) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine`: connections that run inline.

    `cargs`/`cparams` are what the aiosqlite dialect would pass to `sqlite3.connect`."""
    # The loop's thread makes and uses the connection; the pool may close it from elsewhere.
    connector = partial(sqlite3.connect, *cargs, **{**cparams, "check_same_thread": False})

    async def create() -> InlineConnection:
        return await InlineConnection(connector)

    return create
