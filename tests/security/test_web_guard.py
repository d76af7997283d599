"""Security headers, the per-address API limit behind a proxy, path traversal in URLs, and
oversized bodies on the JSON API."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from fengqiao.app import create_app
from fengqiao.web.guard import client_address
from fengqiao.web.params import row_id
from tests.conftest import make_settings
from tests.web.docs_helpers import staff_headers

PROXY = frozenset({"127.0.0.1", "::1", "172.16.0.0/12"})


@pytest.fixture
async def client(tmp_path):
    settings = make_settings(tmp_path, api_requests_per_minute_per_ip=5)
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def forwarded(remote: str, xff: str | None):
    headers = {"X-Forwarded-For": xff} if xff is not None else {}
    request = make_mocked_request("GET", "/", headers=headers)
    return request.clone(remote=remote)


@pytest.mark.parametrize(
    ("remote", "xff", "client_ip"),
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not our proxy: its header is ignored
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # nginx says who the client is
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own prefix: no
        ("127.0.0.1", "198.51.100.7, 127.0.0.1", "198.51.100.7"),  # two proxies of ours
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("172.18.0.5", "198.51.100.9", "198.51.100.9"),  # a proxy network, as CIDR
    ],
)
def test_client_address_trusts_only_our_proxies(remote, xff, client_ip):
    assert client_address(forwarded(remote, xff), PROXY) == client_ip


async def test_every_response_carries_security_headers(client):
    for path in ("/healthz", "/api/v1/nope", "/console/login", "/static/console.css"):
        resp = await client.get(path)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        # Party links carry tokens in the URL: no Referer may leak them to another site (the
        # console, whose URLs carry none, keeps its own same-origin policy).
        assert resp.headers["Referrer-Policy"] in ("no-referrer", "same-origin"), path
        assert resp.headers["X-Frame-Options"] == "DENY", path


async def test_api_limit_is_per_client_address_behind_the_proxy(client):
    url = "/api/v1/cases/FQ2601-AAAAAA-A/progress"
    a = {"X-Forwarded-For": "198.51.100.1"}
    statuses = [(await client.get(url, headers=a)).status for _ in range(6)]
    assert statuses[:5] == [404] * 5 and statuses[5] == 429
    resp = await client.get(url, headers=a)
    assert resp.headers["Retry-After"] == "60"
    assert (await resp.json())["error"]["code"] == "too_many_requests"
    # Another resident behind the same nginx is not punished for the first one.
    assert (await client.get(url, headers={"X-Forwarded-For": "198.51.100.2"})).status == 404
    # Health checks are never limited (load balancers poll them).
    assert all([(await client.get("/healthz", headers=a)).status == 200 for _ in range(3)])


TRAVERSALS = [
    "/static/../settings.py",
    "/static/%2e%2e/%2e%2e/fengqiao/settings.py",
    "/static/..%2f..%2fsettings.py",
    "/h5/static/documents/../../app.py",
    "/h5/static/documents/%2e%2e%2f%2e%2e%2fapp.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
]


async def test_path_traversal_in_urls_reaches_no_file(client):
    for path in TRAVERSALS:
        resp = await client.get(path)
        assert resp.status in (400, 403, 404), path
        body = await resp.text()
        assert "create_app" not in body and "SettingsError" not in body and "root:" not in body


async def test_oversized_json_bodies_are_413_not_read_whole(client):
    huge = b'{"text": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    paths = ("/api/v1/intake/messages", "/api/v1/evidence/1/comments", "/api/v1/auth/wxa-login")
    for path in paths:
        resp = await client.post(path, data=huge, headers={"Content-Type": "application/json"})
        assert resp.status in (401, 413), (path, resp.status)
        assert resp.headers["Content-Type"].startswith("application/json")


async def test_broken_multipart_uploads_are_400(client):
    # Found by schemathesis: these were 500s.
    bodies = {
        "multipart/form-data": b"--x\r\n\r\nhello",  # no boundary parameter
        "multipart/form-data; boundary=b": b"--b\r\n\xc3\x89\x1a--b--",  # broken part header
    }
    for content_type, body in bodies.items():
        resp = await client.post(
            "/api/v1/verify", data=body, headers={"Content-Type": content_type}
        )
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["error"]["code"] == "bad_form"


async def test_ids_beyond_64_bits_are_404_not_500(client):
    # Found by schemathesis: SQLite raised OverflowError on them.
    huge = str(2**63)
    for path in (f"/api/v1/evidence/{huge}/file", f"/api/v1/evidence/{huge}/thumbnail"):
        resp = await client.get(path, headers=await staff_headers(client.app))
        assert resp.status == 404, (path, resp.status)

    assert [row_id(x) for x in ("1", "0", huge, str(2**63 - 1), "-1", "1e3", "²", "٣")] == [
        1, None, None, 2**63 - 1, None, None, None, None,
    ]
    resp = await client.get("/api/v1/rooms/for-booking/²", headers=await staff_headers(client.app))
    assert 400 <= resp.status < 500, resp.status


# Integers that are not ids and are bounded elsewhere: the calendar's days are clamped to 1-62;
# an agreement's amounts (also accepted as text) become Decimals the agreement model checks.
UNBOUNDED_ON_PURPOSE = {("Week", "days"), ("Instalment", "amount"), ("Obligation", "amount")}


def _integers_without_maximum(schema, model, found, where=""):
    if isinstance(schema, dict):
        if schema.get("type") == "integer" and "maximum" not in schema:
            found.add(where)
        for key, value in schema.items():
            inner = key if key not in ("anyOf", "items", "properties", "$defs") else where
            _integers_without_maximum(value, model, found, inner if key != "properties" else "")
    elif isinstance(schema, list):
        for value in schema:
            _integers_without_maximum(value, model, found, where)


def test_every_integer_of_a_request_model_has_an_upper_bound(tmp_path):
    # Probe report #3: slot_id, mediator_id and party ids without a bound reached SQLite as
    # numbers beyond 64 bits (OverflowError, a 500). Ids are RowId (fengqiao/web/params.py).
    from fengqiao.web.kit.door import Endpoint

    app = create_app(make_settings(tmp_path))
    models = set()
    for route in app.router.routes():
        spec = getattr(route.handler, "__endpoint__", None)
        if isinstance(spec, Endpoint):
            models |= {m for m in (spec.body, spec.query) if m is not None}
    assert len(models) > 20
    unbounded = set()
    for model in models:
        schema = model.model_json_schema()
        for name, sub in [(model.__name__, schema)] + list(schema.get("$defs", {}).items()):
            found: set[str] = set()
            for field, prop in sub.get("properties", {}).items():
                _integers_without_maximum(prop, name, found, field)
            unbounded |= {(name, field) for field in found}
    assert unbounded - UNBOUNDED_ON_PURPOSE == set()


async def test_unknown_paths_answer_json_under_the_api_and_a_chinese_page_elsewhere(client):
    resp = await client.get("/api/v1/no-such-thing")
    body = await resp.json()
    assert resp.status == 404 and body["error"]["code"] == "not_found"
    assert "不存在" in body["error"]["message"]
    resp = await client.get("/h5/no-such-page")
    page = await resp.text()
    assert resp.status == 404 and resp.content_type == "text/html"
    assert "找不到这个页面" in page and "Not Found" not in page
    # A resident's page opened without its link's token: no staff console, no sign-in.
    resp = await client.get("/h5/delivery/FQ2611-AAAAAA-A-00000000")
    page = await resp.text()
    assert resp.status == 401 and "重新打开" in page
    assert "请先登录" not in page and "工作台" not in page
    resp = await client.get("/console/cases/FQ2611-AAAAAA-A", allow_redirects=False)
    assert resp.status == 303  # staff are still sent to sign in
    resp = await client.delete("/api/v1/cases/FQ2611-AAAAAA-A/progress")
    assert resp.status == 405 and (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_nothing_names_the_framework_or_the_process(client):
    resp = await client.get("/healthz")
    assert resp.headers["Server"] == "fengqiao"
    assert "worker" not in await resp.json() and "aiohttp" not in str(resp.headers)
    resp = await client.get("/api/v1/nothing-here")
    assert resp.headers["Server"] == "fengqiao"


async def test_every_resident_page_has_a_content_security_policy(client):
    for path in ("/h5/progress", "/h5/verify", "/h5/room/nope?t=x", "/h5/sign/x?t=y"):
        resp = await client.get(path)
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "unsafe-eval" not in csp, path
        assert "script-src 'self'" in csp, path


async def test_lookups_by_case_code_share_one_limit_on_every_door(tmp_path):
    settings = make_settings(tmp_path, lookups_per_minute_per_ip=4)
    async with TestClient(TestServer(create_app(settings))) as client:
        statuses = []
        for n in range(3):
            statuses.append((await client.get(f"/api/v1/cases/FQ2611-AAAAA{n}-A/progress")).status)
            statuses.append((await client.get(f"/h5/progress?code=FQ2611-AAAAA{n}-A")).status)
        assert statuses[:4] == [404] * 4 and set(statuses[4:]) == {429}
        resp = await client.get("/api/v1/cases/FQ2611-AAAAA9-A/progress")
        assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
        assert "秒后再试" in (await resp.json())["error"]["message"]


async def test_lookups_by_document_code_share_the_same_limit(tmp_path):
    # Probe report #6: 100 look-ups of /api/v1/verify/<code> (what /h5/verify?code= calls)
    # never met a 429, while case codes had one at 30 a minute.
    settings = make_settings(tmp_path, lookups_per_minute_per_ip=4)
    async with TestClient(TestServer(create_app(settings))) as client:
        statuses = [
            (await client.get(f"/api/v1/verify/FQ2611-AAAAA{n}-A-0000000{n}")).status
            for n in range(3)
        ]
        statuses.append((await client.get("/api/v1/cases/FQ2611-AAAAA9-A/progress")).status)
        statuses.append((await client.get("/api/v1/verify/FQ2611-AAAAA9-A-00000009")).status)
        assert statuses == [404, 404, 404, 404, 429], statuses
        resp = await client.get("/api/v1/verify/FQ2611-AAAAA8-A-00000008")
        assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0


async def test_the_rooms_evidence_upload_answers_refusals_as_the_api_does(client):
    # Probe report #18: /h5/room/{id}/evidence (in the OpenAPI, called by the room's script)
    # answered its 401/403 with an HTML page.
    for headers in ({}, {"Authorization": "Bearer fq1.forged.token"}):
        resp = await client.post("/h5/room/nosuch/evidence", data=b"x", headers=headers)
        assert 400 <= resp.status < 500 and resp.content_type == "application/json", headers
        assert (await resp.json())["error"]["message"]
    # A browser tab opening a room's evidence file still gets the Chinese page.
    resp = await client.get(
        "/h5/room/nosuch/evidence/e1?t=fq1.forged.token", headers={"Accept": "text/html"}
    )
    assert resp.status == 401 and resp.content_type == "text/html"
    # The room page itself stays a page.
    resp = await client.get("/h5/room/nosuch")
    assert resp.content_type == "text/html"


async def test_an_over_long_url_is_a_json_414_under_the_api_and_a_page_elsewhere(client):
    # Probe report #18: a URL over 8 KB was aiohttp's plain-text 400 "Got more than 8190
    # bytes…". Up to the parser's own limit (64 KiB) it is now answered like every refusal.
    long = "a" * 9000
    resp = await client.get(f"/api/v1/cases/{long}/progress")
    assert resp.status == 414 and resp.content_type == "application/json"
    assert (await resp.json())["error"]["code"] == "uri_too_long"
    resp = await client.get(f"/h5/progress?code={long}")
    assert resp.status == 414 and resp.content_type == "text/html"
    assert "链接太长" in await resp.text()
