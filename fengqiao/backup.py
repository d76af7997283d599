"""`fengqiao backup` and `fengqiao restore`: the database and the file store in one archive.

The database goes in as a portable logical dump (one JSON line per row, table by table, read
in one consistent snapshot through SQLAlchemy), so one archive restores onto SQLite or
PostgreSQL alike: a county can also move from the embedded default to PostgreSQL this way.
Files go in under their keys with their SHA-256 in the manifest. Restoring checks the row
counts, every file's hash and the audit log's hash chain before it reports success.

Archive layout (tar.gz): manifest.json, db/<table>.jsonl, files/<key>.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy import types as sa_types
from sqlalchemy.ext.asyncio import AsyncConnection

from fengqiao.settings import Settings
from fengqiao.storage.db import Database
from fengqiao.storage.models import Base

FORMAT = 1
BATCH = 1000


class BackupError(RuntimeError):
    """The archive cannot be made or restored; the message says why, for an operator."""


@dataclass
class Report:
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    file_bytes: int = 0
    audit_entries: int = 0
    audit_ok: bool = True
    revision: str = ""

    def lines(self) -> list[str]:
        rows = sum(self.tables.values())
        return [
            f"tables: {len(self.tables)}, rows: {rows}",
            f"files: {self.files} ({self.file_bytes / 1_048_576:.1f} MB)",
            f"audit log: {self.audit_entries} entries, chain "
            + ("intact" if self.audit_ok else "BROKEN"),
            f"schema revision: {self.revision}",
        ]


# -- values <-> JSON ---------------------------------------------------------------------------


def _kind(column_type: Any) -> str:
    impl = getattr(column_type, "impl", column_type)  # TypeDecorator -> what it stores
    for kind, types in (
        ("datetime", (sa_types.DateTime,)),
        ("date", (sa_types.Date,)),
        ("time", (sa_types.Time,)),
        ("bytes", (sa_types.LargeBinary,)),
        ("decimal", (sa_types.Numeric,)),
    ):
        if isinstance(impl, types) and not (kind == "decimal" and isinstance(impl, sa_types.Float)):
            return kind
    return "plain"


def _dump_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _load_value(kind: str, value: Any) -> Any:
    if value is None or kind == "plain":
        return value
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return Decimal(value)


# -- backup -------------------------------------------------------------------------------------


async def _revision(conn: AsyncConnection) -> str:
    rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    return ",".join(sorted(rows))


def _sqlite_snapshot(url: str, into: Path) -> str:
    """A consistent copy of a live SQLite database (its online backup API), as a URL."""
    import sqlite3

    source = sqlite3.connect(url.split("///", 1)[1])
    target = sqlite3.connect(into)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return f"sqlite+aiosqlite:///{into}"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _file_keys(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        # Temporary ".part" files are writes in progress: never part of the store.
        if path.is_file() and not path.name.startswith("."):
            yield path.relative_to(root).as_posix(), path


async def backup(settings: Settings, output: Path) -> Report:
    """Write the archive to `output` (via a temporary file, so a failed run leaves none)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    snapshot = None
    if Database(url).is_sqlite:
        snapshot = output.parent / f".snapshot-{os.getpid()}.sqlite"
        url = await asyncio.to_thread(_sqlite_snapshot, url, snapshot)
    db = Database(url)
    report = Report()
    manifest: dict[str, Any] = {"format": FORMAT, "created_at": datetime.now().isoformat()}
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", suffix=".part", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            async with db.engine.connect() as conn:
                if not db.is_sqlite:
                    # One snapshot for every table: the dump is consistent while the service runs.
                    conn = await conn.execution_options(isolation_level="REPEATABLE READ")
                report.revision = await _revision(conn)
                for table in Base.metadata.sorted_tables:
                    report.tables[table.name] = await _dump_table(conn, table, tar)
                await conn.rollback()
            files: dict[str, str] = {}
            for key, path in _file_keys(settings.data_dir / "files"):
                data = await asyncio.to_thread(path.read_bytes)
                files[key] = hashlib.sha256(data).hexdigest()
                _add(tar, f"files/{key}", data)
                report.files += 1
                report.file_bytes += len(data)
            manifest.update(
                engine="sqlite" if db.is_sqlite else "postgresql",
                revision=report.revision,
                tables=report.tables,
                files=files,
            )
            _add(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False).encode())
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        await db.dispose()
        if snapshot is not None:
            snapshot.unlink(missing_ok=True)
    return report


async def _dump_table(conn: AsyncConnection, table: Table, tar: tarfile.TarFile) -> int:
    buffer = io.BytesIO()
    count = 0
    order = list(table.primary_key.columns) or list(table.columns)
    result = await conn.stream(select(table).order_by(*order))
    async for row in result:
        line = {name: _dump_value(value) for name, value in row._mapping.items()}
        buffer.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
        count += 1
    _add(tar, f"db/{table.name}.jsonl", buffer.getvalue())
    return count


# -- restore ------------------------------------------------------------------------------------


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes] | None:
    try:
        return tar.extractfile(name)
    except KeyError:
        return None


async def restore(settings: Settings, archive: Path) -> Report:
    """Load the archive into an empty database and file store, then verify it all."""
    from fengqiao.cases.audit import verify_chain
    from fengqiao.storage.files import LocalFileStore
    from fengqiao.storage.migrate import upgrade_async

    with tarfile.open(archive, "r:gz") as tar:
        raw = _member(tar, "manifest.json")
        if raw is None:
            raise BackupError(f"{archive}: not a Fengqiao backup (no manifest.json)")
        manifest = json.loads(raw.read())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unsupported backup format {manifest.get('format')}")
        await upgrade_async(settings.effective_database_url)
        db = Database(settings.effective_database_url)
        report = Report()
        try:
            async with db.engine.connect() as conn:
                report.revision = await _revision(conn)
                if report.revision != manifest["revision"]:
                    raise BackupError(
                        f"the backup is of schema {manifest['revision']}, this version of "
                        f"Fengqiao is at {report.revision}: restore with the matching version"
                    )
                for table in Base.metadata.sorted_tables:
                    if await conn.scalar(select(func.count()).select_from(table)):
                        raise BackupError(
                            f"the database is not empty (table {table.name} has rows): "
                            "restore into a new, empty database"
                        )
            async with db.engine.begin() as conn:
                for table in Base.metadata.sorted_tables:
                    member = _member(tar, f"db/{table.name}.jsonl")
                    report.tables[table.name] = (
                        await _load_table(conn, table, member) if member else 0
                    )
                if not db.is_sqlite:
                    await _reset_sequences(conn)
            for table_name, count in manifest["tables"].items():
                if report.tables.get(table_name, 0) != count:
                    raise BackupError(f"table {table_name}: {count} rows in the backup, "
                                      f"{report.tables.get(table_name, 0)} restored")
            store = LocalFileStore(settings.data_dir / "files")
            for key, digest in manifest["files"].items():
                member = _member(tar, f"files/{key}")
                data = member.read() if member else b""
                if hashlib.sha256(data).hexdigest() != digest:
                    raise BackupError(f"file {key} is damaged in the archive")
                await store.put(key, data)
                report.files += 1
                report.file_bytes += len(data)
            async with db.read() as session:
                chain = await verify_chain(session)
            report.audit_entries, report.audit_ok = chain.entries, chain.ok
            if not chain.ok:
                raise BackupError(f"audit chain broken after restore at entry "
                                  f"{chain.first_broken_id}: {chain.reason}")
        finally:
            await db.dispose()
    return report


async def _load_table(conn: AsyncConnection, table: Table, member: IO[bytes]) -> int:
    kinds = {c.name: _kind(c.type) for c in table.columns}
    batch: list[dict[str, Any]] = []
    count = 0
    for line in member:
        row = json.loads(line)
        batch.append({k: _load_value(kinds.get(k, "plain"), v) for k, v in row.items()})
        if len(batch) >= BATCH:
            await conn.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        await conn.execute(insert(table), batch)
        count += len(batch)
    return count


async def _reset_sequences(conn: AsyncConnection) -> None:
    """Rows came with their ids: move each id sequence past them, or new rows would collide."""
    for table in Base.metadata.sorted_tables:
        if "id" not in table.columns:
            continue
        top = await conn.scalar(select(func.max(table.c.id)))
        await conn.execute(
            text(
                "SELECT setval(seq, :next, false) FROM "
                "(SELECT pg_get_serial_sequence(:t, 'id') AS seq) s WHERE seq IS NOT NULL"
            ),
            {"t": table.name, "next": int(top or 0) + 1},
        )


# -- command line -------------------------------------------------------------------------------


def default_output(settings: Settings) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return settings.data_dir / "backups" / f"fengqiao-{stamp}.tar.gz"


def backup_command(output: str | None) -> int:
    settings = Settings.from_env()
    path = Path(output) if output else default_output(settings)
    try:
        report = asyncio.run(backup(settings, path))
    except (OSError, BackupError) as exc:
        print(f"备份失败: {exc}")
        return 1
    print(f"backup written to {path}")
    for line in report.lines():
        print("  " + line)
    return 0


def restore_command(archive: str) -> int:
    settings = Settings.from_env()
    if not Path(archive).is_file():
        print(f"恢复失败: 找不到文件 {archive}")
        return 1
    try:
        report = asyncio.run(restore(settings, Path(archive)))
    except (OSError, BackupError, tarfile.TarError, ValueError) as exc:
        print(f"恢复失败: {exc}")
        return 1
    print(f"restored {archive}")
    for line in report.lines():
        print("  " + line)
    return 0
