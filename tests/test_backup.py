"""Backup and restore round trips: embedded -> embedded, PostgreSQL -> PostgreSQL, and embedded
-> PostgreSQL (a county moving off the default); cases, files and the audit chain verify."""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from fengqiao.backup import BackupError, backup, restore
from fengqiao.cases.audit import verify_chain
from fengqiao.services import build_services
from fengqiao.settings import Settings
from tests.cases.helpers import resident_case
from tests.conftest import make_settings, require, reset_postgres
from tests.test_cli import env_for, fengqiao

EVIDENCE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


async def fill(settings: Settings) -> list[str]:
    services = await build_services(settings)
    try:
        codes = []
        for n in range(3):
            filed = await services.cases.file_case(resident_case(n))
            codes.append(filed.code)
        key = "evidence/backup-test/photo.png"
        await services.files.put(key, EVIDENCE)
        await services.cases.add_file(
            codes[0], kind="evidence", key=key, sha256=hashlib.sha256(EVIDENCE).hexdigest(),
            mime="image/png", size=len(EVIDENCE), submitted_by="mp:openid-0",
        )
        return codes
    finally:
        await services.close()


async def fresh_postgres(url: str, suffix: str) -> str:
    """An empty database beside the test one (created anew each run)."""
    base, _, name = url.rpartition("/")
    target = f"{name}_{suffix}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{target}"')
    finally:
        await conn.close()
    return f"{base}/{target}"


async def check_restored(settings: Settings, codes: list[str]) -> None:
    services = await build_services(settings, migrate=False)
    try:
        for code in codes:
            assert (await services.cases.progress(code))["code"] == code
        assert await services.files.get("evidence/backup-test/photo.png") == EVIDENCE
        async with services.db.read() as session:
            chain = await verify_chain(session)
        assert chain.ok and chain.entries >= len(codes)
        # New rows after a restore get new ids (sequences moved past the restored rows).
        filed = await services.cases.file_case(resident_case(99))
        assert filed.created and filed.code not in codes
    finally:
        await services.close()


@pytest.mark.parametrize("route", ["embedded", "postgres", "embedded_to_postgres"])
async def test_backup_restores_cases_files_and_audit_chain(tmp_path, route):
    source = make_settings(tmp_path / "source")
    target = make_settings(tmp_path / "target")
    if route != "embedded":
        pg = require("FENGQIAO_TEST_DATABASE_URL")
        target = replace(target, database_url=await fresh_postgres(pg, "restore"))
        if route == "postgres":
            await reset_postgres(pg)
            source = replace(source, database_url=pg)
    codes = await fill(source)
    archive = tmp_path / "fq.tar.gz"
    made = await backup(source, archive)
    assert made.tables["cases"] == 3 and made.files == 1 and made.audit_ok
    restored = await restore(target, archive)
    assert restored.tables == made.tables and restored.files == 1 and restored.audit_ok
    await check_restored(target, codes)
    # Restoring twice would duplicate everything: refused, nothing touched.
    with pytest.raises(BackupError, match="not empty"):
        await restore(target, archive)


async def test_a_damaged_archive_is_refused(tmp_path):
    source = make_settings(tmp_path / "source")
    await fill(source)
    archive = tmp_path / "fq.tar.gz"
    await backup(source, archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/"):
                data = data[:-1] + b"!"
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="damaged"):
        await restore(make_settings(tmp_path / "target"), damaged)


def test_command_line_round_trip(tmp_path: Path):
    source = env_for(tmp_path / "source")
    fengqiao("demo", env=source)
    archive = tmp_path / "demo.tar.gz"
    out = fengqiao("backup", "--output", str(archive), env=source)
    assert "backup written" in out and archive.is_file()
    out = fengqiao("restore", str(archive), env=env_for(tmp_path / "target"))
    assert "audit log:" in out and "intact" in out
