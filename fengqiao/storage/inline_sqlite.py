"""SQLite write transactions run on the event loop's own thread.

aiosqlite gives every connection a worker thread and every statement a round trip to it: the
result comes back as a callback that waits for the event loop's next turn. When the loop is
busy serving fifty residents, one filing (eight short statements) then holds SQLite's single
write lock for many loop turns, and every other filing queues behind it. The statements
themselves take tens of microseconds on a local file (WAL, synchronous=NORMAL), so running
them directly is both faster and fairer; the key-value store already works this way.

`SQLiteDialect_inline` is SQLAlchemy's own pysqlite dialect (the same SQL, types and
pragmas as the aiosqlite one, which derives from it) declared usable under asyncio: an
AsyncEngine runs its calls inside its greenlet, where the sqlite3 module answers at once and
nothing is ever awaited. Only write transactions use it, and they are kept short; reads,
which may scan a million cases for a report, keep aiosqlite's threads so that they never
stall the loop.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.pool import AsyncAdaptedQueuePool

NAME = "sqlite+fengqiao_inline"


class SQLiteDialect_inline(SQLiteDialect_pysqlite):  # noqa: N801 - SQLAlchemy's naming
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: Any) -> type[AsyncAdaptedQueuePool]:
        return AsyncAdaptedQueuePool


registry.register("sqlite.fengqiao_inline", __name__, "SQLiteDialect_inline")
