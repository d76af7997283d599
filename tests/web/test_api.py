import gc
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import YOUNG_COLLECTION_EVERY, create_app
from fengqiao.cases.service import NewCase, PartyInfo


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_healthz_reports_database_and_store(client, settings):
    resp = await client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["store"]["ok"]
    assert body["database"]["engine"] == ("postgresql" if settings.database_url else "sqlite")
    assert body["store"]["engine"] == ("redis" if settings.redis_url else "embedded")


async def test_progress_api(client):
    cases = client.app[keys.CASES]
    filed = await cases.file_case(
        NewCase(
            description="邻居漏水",
            channel="console",
            actor="staff:1",
            type_code="neighbor",
            type_name="邻里纠纷",
            risk="blue",
            applicant=PartyInfo(name="李四", phone="13700001111"),
        )
    )
    resp = await client.get(f"/api/v1/cases/{filed.code}/progress")
    assert resp.status == 200
    body = await resp.json()
    assert body["code"] == filed.code and body["status_name"] == "受理"
    assert "李四" not in await resp.text() and "13700001111" not in await resp.text()

    # Probe report #20: a full-width code (a Chinese input method's) and one pasted with its
    # sentence's 。 were 404.
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in filed.code)
    for typed in (full_width, filed.code + "。", filed.code.lower()):
        resp = await client.get(f"/api/v1/cases/{quote(typed)}/progress")
        assert resp.status == 200, typed
        assert (await resp.json())["code"] == filed.code

    typo = filed.code[:-3] + "ZZ" + filed.code[-1]
    for bad in (typo, "nonsense", "FQ0000-000000-0"):
        resp = await client.get(f"/api/v1/cases/{bad}/progress")
        assert resp.status == 404
        body = await resp.json()
        assert body["error"]["code"] == "case_not_found"


async def test_unknown_api_path_is_json_404(client):
    resp = await client.get("/api/v1/nothing-here")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"


async def test_openapi_describes_the_api(client):
    resp = await client.get("/api/v1/openapi.json")
    spec = await resp.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/cases/{code}/progress" in spec["paths"]
    assert "404" in spec["paths"]["/api/v1/cases/{code}/progress"]["get"]["responses"]


async def test_started_service_collects_young_objects_less_often(client):
    # The service's first start-up freezes its loaded heap and raises the young generation's
    # threshold from CPython's 700 (see app._settle_heap): at 700 the collector ran every few
    # messages and cost 14-19 us of each under load.
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY > 700
