"""A mini-program built only on the OpenAPI description: a TypeScript client generated from the
description the app serves (openapi-typescript) must compile with a small program that logs in,
draws an intake prompt and lists my cases (typescript/client.ts), under ``tsc --strict``.

The two npm packages (versions pinned in typescript/package.json) are installed once into a
directory beside pytest's temporary directories, never into the repository. Without node and
npm the test is skipped on a developer machine; CI installs them (scripts/system-deps.sh) and
there a missing one fails the test.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao.app import create_app
from tests.conftest import make_settings

HERE = Path(__file__).parent / "typescript"


def _tools(root: Path) -> Path:
    """The directory holding node_modules for package.json, installed on first use."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} must be installed in CI (scripts/system-deps.sh)")
            pytest.skip(f"{tool} not installed")
    manifest = (HERE / "package.json").read_bytes()
    target = root / f"fq-node-tools-{hashlib.sha256(manifest).hexdigest()[:12]}"
    if (target / "node_modules" / ".bin" / "tsc").exists():
        return target
    building = Path(tempfile.mkdtemp(prefix="fq-node-tools-", dir=root))
    (building / "package.json").write_bytes(manifest)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=building, check=True, timeout=180, capture_output=True,
    )
    try:
        building.rename(target)  # another run may have finished first: theirs is as good
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
    return target


async def test_a_generated_typescript_client_compiles(tmp_path, tmp_path_factory):
    tools = _tools(tmp_path_factory.getbasetemp().parent)
    client = TestClient(TestServer(create_app(make_settings(tmp_path)), host="127.0.0.1"))
    await client.start_server()
    try:
        resp = await client.get("/api/v1/openapi.json")
        assert resp.status == 200
        spec = await resp.json()
    finally:
        await client.close()
    work = tmp_path / "ts"
    work.mkdir()
    (work / "openapi.json").write_text(json.dumps(spec, ensure_ascii=False), "utf-8")
    shutil.copy(HERE / "client.ts", work / "client.ts")
    bin_dir = tools / "node_modules" / ".bin"

    def run(*command: str) -> None:
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    # Defaults are not "always present" in a request: a field with one may be left out.
    run(str(bin_dir / "openapi-typescript"), "openapi.json", "-o", "api.d.ts",
        "--default-non-nullable=false")
    api = (work / "api.d.ts").read_text("utf-8")
    assert '"/api/v1/intake/messages"' in api and "Prompt" in api
    run(str(bin_dir / "tsc"), "--noEmit", "--strict", "--target", "es2020", "--module", "es2020",
        "--moduleResolution", "node", "client.ts")
