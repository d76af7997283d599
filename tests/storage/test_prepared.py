"""Statements run on SQLite's own cursor store exactly what SQLAlchemy would (storage/prepared)."""

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from fengqiao.storage import jsoncodec, prepared
from fengqiao.storage.db import Database
from fengqiao.storage.models import UTCDateTime

meta = MetaData()
things = Table(
    "things",
    meta,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), unique=True),
    Column("flag", Boolean),
    Column("score", Float),
    Column("data", JSON),
    Column("maybe", JSON),
    Column("at", UTCDateTime),
)
with_default = Table(
    "with_default", meta, Column("id", Integer, primary_key=True), Column("n", Integer, default=7)
)
INSERT = insert(things).returning(things.c.id)
LAST = select(things.c.code).order_by(things.c.id.desc()).limit(1)


def row(code):
    at = datetime(2026, 3, 5, 20, 30, 1, 123456, tzinfo=timezone(timedelta(hours=8)))
    data = {"名字": "张三", "items": [1, 2.5, None, True], "nested": {"k": "值"}}
    return {"code": code, "flag": True, "score": 0.75, "data": data, "maybe": None, "at": at}


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(
        f"sqlite:///{tmp_path / 'p.db'}",
        json_serializer=jsoncodec.dumps_text,
        json_deserializer=jsoncodec.loads,
    )
    meta.create_all(engine)
    yield engine
    engine.dispose()


def stored(tmp_path, code):
    with sqlite3.connect(tmp_path / "p.db") as db:
        query = "SELECT flag, score, data, maybe, at FROM things WHERE code = ?"
        return db.execute(query, (code,)).fetchone()


def test_the_row_stored_is_the_one_sqlalchemy_stores(engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(insert(things), row("orm"))
        new_id = prepared.scalar(conn, INSERT, row("direct"))
    assert stored(tmp_path, "direct") == stored(tmp_path, "orm")
    assert stored(tmp_path, "direct")[3] == "null"  # JSON null, as SQLAlchemy writes None
    with engine.connect() as conn:
        back = conn.execute(select(things).where(things.c.id == new_id)).one()
    assert back.data == row("x")["data"] and back.at == row("x")["at"]
    assert back.at.tzinfo is not None and back.flag is True


def test_many_rows_and_literal_values_in_the_statement(engine):
    with engine.begin() as conn:
        prepared.execute(conn, insert(things), [row("a"), row("b"), row("c")])
        assert prepared.scalar(conn, LAST) == "c"  # the LIMIT's value comes with the statement
        with pytest.raises(ValueError, match="same keys"):
            prepared.execute(conn, insert(things), [row("d"), {"code": "e"}])
    with engine.connect() as conn:
        assert conn.scalar(select(things.c.code).where(things.c.code == "d")) is None


def test_statements_run_in_the_callers_transaction(engine):
    with pytest.raises(RuntimeError), engine.begin() as conn:
        prepared.execute(conn, insert(things), row("gone"))
        raise RuntimeError("crash mid-write")
    with engine.connect() as conn:
        assert conn.scalar(select(things.c.id)) is None


def test_driver_errors_arrive_as_sqlalchemy_errors(engine):
    # Callers catch SQLAlchemy's IntegrityError (a duplicate case code is retried).
    with engine.begin() as conn:
        prepared.execute(conn, insert(things), row("same"))
        with pytest.raises(IntegrityError):
            prepared.scalar(conn, INSERT, row("same"))


def test_a_column_default_computed_in_python_must_be_given(engine):
    with engine.begin() as conn, pytest.raises(ValueError, match="Python defaults"):
        prepared.execute(conn, insert(with_default), {"id": 1})


async def test_the_in_memory_database_runs_them_through_its_async_driver():
    # Database.write on an in-memory SQLite runs the work in AsyncConnection.run_sync.
    db = Database("sqlite+aiosqlite:///:memory:")
    async with db.engine.begin() as conn:
        await conn.run_sync(meta.create_all)

    def work(conn):
        return prepared.scalar(conn, INSERT, row("mem"))

    new_id = await db.write(work)
    async with db.engine.connect() as conn:
        got = (await conn.execute(select(things).where(things.c.id == new_id))).one()
    assert got.code == "mem" and got.data == row("x")["data"]
    assert got.at == row("x")["at"].astimezone(UTC)
    await db.dispose()
