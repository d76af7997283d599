"""The file store's disk is full: uploads get a clear error, nothing half-written is recorded,
and once space is freed the same upload goes through. A real full filesystem (a small tmpfs
mounted over the file store), not a simulated exception."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.storage.models import AuditEntry, CaseFile
from tests.conftest import make_settings
from tests.e2e.faults import need
from tests.web.docs_helpers import make_case, party_token, staff_headers

SIZE_KB = 512


@pytest.fixture
async def full_disk_client(tmp_path: Path) -> AsyncIterator[TestClient]:
    need(os.geteuid() == 0, "mounting a small tmpfs needs root")
    files = tmp_path / "var" / "files"
    files.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_KB}k", "tmpfs", str(files)],
        capture_output=True,
        text=True,
    )
    need(mounted.returncode == 0, f"cannot mount tmpfs: {mounted.stderr.strip()}")
    try:
        app = create_app(make_settings(tmp_path))
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        subprocess.run(["umount", "-l", str(files)], check=False)


def fill(root: Path, leave: int) -> Path:
    """Fill the filesystem at `root` until only about `leave` bytes are free."""
    stat = os.statvfs(root)
    free = stat.f_bavail * stat.f_frsize
    filler = root / "filler.bin"
    filler.write_bytes(b"\0" * max(free - leave, 0))
    return filler


def pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"%" * size + b"\n%%EOF\n"


def upload(data: bytes) -> FormData:
    form = FormData()
    form.add_field("file", data, filename="收据.pdf", content_type="application/pdf")
    return form


async def test_full_file_store_is_a_clear_error_and_records_nothing(full_disk_client):
    client = full_disk_client
    app = client.app
    case = await make_case(app)
    token = party_token(app, case, case.applicant, "evidence")
    url = f"/api/v1/cases/{case.code}/evidence?t={token}"
    root = Path(app[keys.FILES].root)
    filler = fill(root, leave=16 * 1024)
    before = {p.name for p in root.rglob("*") if p.is_file()}

    resp = await client.post(url, data=upload(pdf(200 * 1024)))
    assert resp.status == 507, await resp.text()
    error = (await resp.json())["error"]
    assert error["code"] == "storage_full" and "存储空间不足" in error["message"]

    # Nothing half-written under any name, no record, no audit entry claiming it.
    assert {p.name for p in root.rglob("*") if p.is_file()} == before
    db = app[keys.DB]
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(CaseFile)) == 0
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "evidence.added" not in actions
    staff = await staff_headers(app)
    listed = await client.get(f"/api/v1/cases/{case.code}/evidence", headers=staff)
    assert (await listed.json())["evidence"] == []

    # Space freed: the same upload goes through and reads back whole.
    filler.unlink()
    resp = await client.post(url, data=upload(pdf(200 * 1024)))
    assert resp.status == 200, await resp.text()
    item = await resp.json()
    got = await client.get(f"/api/v1/evidence/{item['id']}/file?t={token}")
    assert await got.read() == pdf(200 * 1024)
