"""SQLite WAL checkpoints in a thread, not inside a commit on the event loop.

In WAL mode SQLite copies the log back into the database file (a checkpoint) by itself, inside
whichever commit takes the log past 1,000 pages, and syncs both files: 10-40 ms on an ordinary
disk. The connections that commit on the event loop (the inline SQL writer, the embedded
key-value store) would stall every request in flight for that long every few hundred writes.
They turn automatic checkpoints off (`PRAGMA wal_autocheckpoint=0`) and hand their database to
a `Checkpointer`, which runs the checkpoint on its own connection in a worker thread shortly
after writes, beside the writers.

A checkpoint that writers keep appending to cannot finish the log, and SQLite starts the log
afresh only once a checkpoint has copied all of it: under steady load the log would grow
without end. So once it is past `LOG_PAGES`, the next checkpoint closes the owner's `gate`
while it runs: writers wait a few milliseconds, the rest of the service goes on.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

log = logging.getLogger("fengqiao.storage")

# Seconds from a write to the checkpoint that copies it.
CHECKPOINT_AFTER = 1.0
# Log length (pages, 4 KiB each) past which writers are held off so that a checkpoint catches
# up: 64 MiB, a few seconds of writing at full load.
LOG_PAGES = 16384


class Gate:
    """A lock whose waiters all wake at once when it opens.

    asyncio.Lock hands itself to one waiter per turn of the event loop. Writers held off by a
    checkpoint (the whole dialog writes on every turn) would then trickle out one per turn of a
    loop that is busy with fifty residents, ~20 ms a turn. Here they all resume together; a
    transaction that runs without yielding, as the inline ones do, is done before the next
    waiter looks."""

    def __init__(self) -> None:
        self._held = False
        self._opened: asyncio.Future[None] | None = None

    def locked(self) -> bool:
        return self._held

    async def wait_open(self) -> None:
        while self._held:
            if self._opened is None:
                self._opened = asyncio.get_running_loop().create_future()
            # shield: a cancelled waiter must not cancel the others' future
            await asyncio.shield(self._opened)

    async def __aenter__(self) -> None:
        await self.wait_open()
        self._held = True

    async def __aexit__(self, *_: Any) -> None:
        self._held = False
        opened, self._opened = self._opened, None
        if opened is not None and not opened.done():
            opened.set_result(None)


class Checkpointer:
    def __init__(
        self, path: Path | str, gate: Gate, after: float = CHECKPOINT_AFTER, limit: int = LOG_PAGES
    ) -> None:
        self.path = str(path)
        self.gate = gate
        self.after = after
        self.limit = limit
        self._conn: sqlite3.Connection | None = None
        self._due: asyncio.TimerHandle | None = None
        self._running: asyncio.Task[None] | None = None
        self._closed = False
        self._log_pages = 0  # the log's length at the last checkpoint
        self._copied_all = False
        self.runs = 0  # checkpoints done, and how many held the writers off: for tests
        self.gated = 0

    def wrote(self) -> None:
        """Called after each commit: a checkpoint follows within `after` seconds."""
        if self._due is not None or self._running is not None or self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): closing the database checkpoints
        self._due = loop.call_later(self.after, self._start, loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due = None
        self._running = loop.create_task(self._run())
        self._running.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("WAL checkpoint failed: %s", task.exception())

    async def _run(self) -> None:
        if self._log_pages <= self.limit:
            await asyncio.to_thread(self._checkpoint)
            return
        async with self.gate:
            self.gated += 1
            await asyncio.to_thread(self._checkpoint)
            if self._copied_all:
                self._log_pages = 0  # no writer meanwhile: the next write restarts the log

    def _checkpoint(self) -> None:
        if self._conn is None:
            # Its own connection, used by one thread at a time: a checkpoint never overlaps
            # the next (see wrote), and close waits for the last one.
            self._conn = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
        # PASSIVE: never waits for readers (aiosqlite's threads) or writers.
        _busy, pages, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self._log_pages = max(int(pages), 0)  # -1 when the database is not in WAL mode
        self._copied_all = copied == pages
        self.runs += 1

    async def close(self) -> None:
        """Stop scheduling; finish a running checkpoint (the database's last connection to
        close checkpoints what is left)."""
        self._closed = True
        if self._due is not None:
            self._due.cancel()
            self._due = None
        if self._running is not None:
            await asyncio.wait({self._running})  # its failure is logged by _finished
        if self._conn is not None:
            self._conn.close()
            self._conn = None
