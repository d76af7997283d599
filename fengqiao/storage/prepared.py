"""Core statements run straight on SQLite's own cursor: for the filing, the hot write.

A filing is seven short statements. On SQLite, SQLAlchemy's work around each one (execution
context, parameter processing, result object) cost more than SQLite's own: about a third of
a filing. Here each statement is compiled once per dialect and set of keys, by SQLAlchemy,
to the very SQL `Connection.execute` would send, and its values go through the very bind
processors SQLAlchemy would use (JSON, UTC timestamps, booleans); only the per-call machinery
is skipped. The statements run on the caller's connection, inside its transaction.

Other databases go through `Connection.execute` unchanged: PostgreSQL's driver is reached
through SQLAlchemy's greenlet adapter, and its per-statement cost is the network's.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

Params = Mapping[str, Any]


class Prepared:
    """One statement compiled for one dialect and one set of parameter keys."""

    __slots__ = ("sql", "_names", "_processors", "_defaults")

    def __init__(self, statement: Executable, dialect: Dialect, keys: Sequence[str]) -> None:
        element = cast(ClauseElement, statement)  # every Core statement is both
        compiled = element.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        if not dialect.positional or compiled.positiontup is None:
            raise ValueError(f"{dialect.name}: only positional parameter styles are supported")
        if compiled.insert_prefetch or compiled.update_prefetch:
            # A column default computed in Python: SQLAlchemy's execution context would fill
            # it in. Pass the column's value instead, as the filing does for every column.
            missing = [c.name for c in [*compiled.insert_prefetch, *compiled.update_prefetch]]
            raise ValueError(f"give values for the columns with Python defaults: {missing}")
        self.sql = compiled.string
        self._names = tuple(compiled.positiontup)
        self._processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self._names
        )
        # Values fixed in the statement itself (a LIMIT, a literal in a WHERE).
        binds = {name: compiled.binds[name] for name in self._names}
        self._defaults = {n: b.effective_value for n, b in binds.items() if not b.required}

    def values(self, params: Params) -> list[Any]:
        out = []
        for name, process in zip(self._names, self._processors):
            value = params[name] if name in params else self._defaults[name]
            # None too: a JSON column stores None as JSON null, as SQLAlchemy would.
            out.append(value if process is None else process(value))
        return out


_CACHE: weakref.WeakKeyDictionary[Dialect, dict[tuple[int, frozenset[str]], Any]] = (
    weakref.WeakKeyDictionary()
)


def prepare(statement: Executable, dialect: Dialect, keys: frozenset[str]) -> Prepared:
    cache = _CACHE.get(dialect)
    if cache is None:
        cache = _CACHE[dialect] = {}
    # The statement is kept beside its compiled form so that its id is never reused.
    key = (id(statement), keys)
    held = cache.get(key)
    if held is None:
        held = cache[key] = (statement, Prepared(statement, dialect, sorted(keys)))
    return held[1]  # type: ignore[no-any-return]


def _direct(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


@contextmanager
def _cursor(conn: Connection, sql: str, params: Any) -> Iterator[Any]:
    """A cursor of the connection's driver; its errors become SQLAlchemy's, as callers
    expect (an IntegrityError for a duplicate, say)."""
    dialect = conn.dialect
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            sql, params, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()


def scalar(conn: Connection, statement: Executable, params: Params | None = None) -> Any:
    """`conn.scalar(statement, params)`: the first column of the first row, or None."""
    params = params or {}
    if not _direct(conn):
        return conn.scalar(statement, params)
    prepared = prepare(statement, conn.dialect, frozenset(params))
    with _cursor(conn, prepared.sql, params) as cursor:
        cursor.execute(prepared.sql, prepared.values(params))
        row = cursor.fetchone()
    return None if row is None else row[0]


def execute(conn: Connection, statement: Executable, rows: Params | Sequence[Params]) -> None:
    """`conn.execute(statement, rows)` for statements that return nothing; a list of rows
    with the same keys runs as one executemany."""
    if not _direct(conn):
        conn.execute(statement, rows)  # type: ignore[arg-type]
        return
    many = list(rows) if not isinstance(rows, Mapping) else [rows]
    if not many:
        return
    if any(row.keys() != many[0].keys() for row in many):
        raise ValueError("every row of an executemany needs the same keys")
    prepared = prepare(statement, conn.dialect, frozenset(many[0]))
    with _cursor(conn, prepared.sql, many) as cursor:
        if len(many) == 1:
            cursor.execute(prepared.sql, prepared.values(many[0]))
        else:
            cursor.executemany(prepared.sql, [prepared.values(row) for row in many])
