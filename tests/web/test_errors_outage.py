"""Outages are 503 (or 507 for a full disk) that clients retry; bugs stay 500s."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import exc as sa_exc

from fengqiao.storage.files import FileStoreError
from fengqiao.storage.kv import StoreUnavailable
from fengqiao.web.kit.door import declare
from fengqiao.web.kit.middleware import door

RAISED = {
    "db_gone": sa_exc.OperationalError("SELECT 1", {}, ConnectionError("terminated")),
    "db_interface": sa_exc.InterfaceError("SELECT 1", {}, ConnectionError("closed")),
    "pool_timeout": sa_exc.TimeoutError("QueuePool limit reached"),
    "refused": ConnectionRefusedError(111, "refused"),
    "store": StoreUnavailable("redis down"),
    "disk_full": FileStoreError("[Errno 28] No space left on device"),
    "query_bug": sa_exc.IntegrityError("INSERT", {}, ValueError("duplicate key")),
}


@pytest.fixture
async def client():
    @declare("public")
    async def handler(request: web.Request) -> web.Response:
        raise RAISED[request.match_info["what"]]

    app = web.Application(middlewares=[door])
    app.router.add_get("/api/v1/raise/{what}", handler)
    async with TestClient(TestServer(app)) as c:
        yield c


@pytest.mark.parametrize(
    ("what", "status", "code"),
    [
        ("db_gone", 503, "database_unavailable"),
        ("db_interface", 503, "database_unavailable"),
        ("pool_timeout", 503, "database_unavailable"),
        ("refused", 503, "unavailable"),
        ("store", 503, "store_unavailable"),
        ("disk_full", 507, "storage_full"),
        ("query_bug", 500, "internal"),
    ],
)
async def test_outages_are_retryable_and_bugs_are_not(client, what, status, code):
    resp = await client.get(f"/api/v1/raise/{what}")
    assert resp.status == status
    body = await resp.json()
    assert body["error"]["code"] == code
    assert "Traceback" not in body["error"]["message"]
