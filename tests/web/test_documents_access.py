"""Who may see what: party links, other cases, staff-only actions; evidence rules."""

from __future__ import annotations

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.tokens import AccessDenied, issue_token, verify_token

from .docs_helpers import jpeg_bytes, make_case, party_token, staff_headers

SECRET = b"secret-1"


def test_tokens_are_signed_and_expire():
    token = issue_token(SECRET, purpose="sign", case_id=3, party_id=7, now=1000)
    claims = verify_token(SECRET, token, now=1001)
    assert (claims.case_id, claims.party_id, claims.purpose) == (3, 7, "sign")
    with pytest.raises(AccessDenied) as err:
        verify_token(SECRET, token, now=1000 + 14 * 24 * 3600)
    assert err.value.code == "expired"
    prefix, body, sig = token.split(".")
    forged = issue_token(SECRET, purpose="sign", case_id=4, party_id=7, now=1000)
    for bad in (f"{prefix}.{forged.split('.')[1]}.{sig}", token[:-2] + "AA", "nonsense"):
        with pytest.raises(AccessDenied) as err:
            verify_token(SECRET, bad, now=1001)
        assert err.value.code == "bad_token"
    with pytest.raises(AccessDenied):
        verify_token(b"another-secret", token, now=1001)


@pytest.fixture
async def client(settings):
    from dataclasses import replace

    app = create_app(replace(settings, max_upload_mb=1))
    async with TestClient(TestServer(app)) as client:
        yield client


def upload_form(data: bytes, name: str, visibility: str = "parties") -> FormData:
    form = FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    form.add_field("visibility", visibility)
    return form


async def test_evidence_upload_rules_and_visibility(client):
    app = client.app
    case = await make_case(app)
    t_app = party_token(app, case, case.applicant, "evidence")
    t_resp = party_token(app, case, case.respondent, "evidence")
    url = f"/api/v1/cases/{case.code}/evidence"

    resp = await client.post(f"{url}?t={t_app}", data=upload_form(jpeg_bytes(), "../../工资条.jpg"))
    assert resp.status == 200, await resp.text()
    photo = await resp.json()
    assert photo["name"] == "工资条.jpg" and photo["mime"] == "image/jpeg"
    assert photo["has_thumbnail"] and photo["width"] == 640 and len(photo["sha256"]) == 64

    # A page disguised as a photo; an oversized file; no link at all.
    resp = await client.post(f"{url}?t={t_app}",
                             data=upload_form(b"<html><script>x()</script></html>", "a.jpg"))
    assert resp.status == 415 and "不能上传" in (await resp.json())["error"]["message"]
    resp = await client.post(f"{url}?t={t_app}",
                             data=upload_form(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10), "b.pdf"))
    assert resp.status == 413
    resp = await client.post(url, data=upload_form(jpeg_bytes(), "c.jpg"))
    assert resp.status == 401

    resp = await client.post(f"{url}?t={t_resp}",
                             data=upload_form(b"%PDF-1.4\n%%EOF\n", "私下.pdf", "mediator"))
    private = await resp.json()
    # The applicant sees the photo only; the respondent sees both; staff see both.
    listed = (await (await client.get(f"{url}?t={t_app}")).json())["evidence"]
    assert [e["id"] for e in listed] == [photo["id"]]
    resp = await client.get(f"/api/v1/evidence/{private['id']}/file?t={t_app}")
    assert resp.status == 404
    listed = (await (await client.get(f"{url}?t={t_resp}")).json())["evidence"]
    assert len(listed) == 2
    listed = (await (await client.get(url, headers=await staff_headers(app))).json())["evidence"]
    assert len(listed) == 2

    resp = await client.get(f"/api/v1/evidence/{photo['id']}/file?t={t_resp}")
    assert resp.status == 200 and await resp.read() == jpeg_bytes()
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp = await client.get(f"/api/v1/evidence/{private['id']}/file?t={t_resp}")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    resp = await client.get(f"/api/v1/evidence/{photo['id']}/thumbnail?t={t_resp}")
    assert resp.status == 200 and (await resp.read())[:3] == b"\xff\xd8\xff"

    # 质证: the other party comments; the submitter cannot comment on their own evidence.
    resp = await client.post(f"/api/v1/evidence/{photo['id']}/comments?t={t_resp}",
                             json={"text": "工资条上的天数不对。"})
    assert resp.status == 200 and (await resp.json())["author_name"] == "刘某"
    resp = await client.post(f"/api/v1/evidence/{photo['id']}/comments?t={t_app}",
                             json={"text": "我自己的"})
    assert resp.status == 403
    listed = (await (await client.get(f"{url}?t={t_app}")).json())["evidence"]
    assert listed[0]["comments"][0]["text"] == "工资条上的天数不对。"

    # From WeChat: the same MsgId twice gives one file.
    evidence = app[keys.DOCUMENTS].evidence
    first = await evidence.add_from_wechat(case.code, "o-app-a", jpeg_bytes(), None,
                                           msg_id="123")
    again = await evidence.add_from_wechat(case.code, "o-app-a", jpeg_bytes(), None,
                                           msg_id="123")
    assert first["id"] == again["id"] and first["channel"] == "wechat"


async def test_a_party_never_reaches_another_case(client):
    app = client.app
    mine, other = await make_case(app, suffix="a"), await make_case(app, suffix="b")
    staff = await staff_headers(app)
    resp = await client.post(f"/api/v1/cases/{other.code}/agreement", headers=staff)
    other_doc = (await resp.json())["code"]
    resp = await client.post(f"/api/v1/cases/{other.code}/evidence", headers=staff,
                             data=upload_form(jpeg_bytes(), "x.jpg"))
    other_file = (await resp.json())["id"]

    token = party_token(app, mine, mine.applicant, "case")
    for method, path in [
        ("GET", f"/api/v1/cases/{other.code}/evidence"),
        ("POST", f"/api/v1/cases/{other.code}/evidence"),
        ("GET", f"/api/v1/evidence/{other_file}/file"),
        ("GET", f"/api/v1/evidence/{other_file}/thumbnail"),
        ("GET", f"/api/v1/documents/{other_doc}"),
        ("GET", f"/api/v1/documents/{other_doc}/audit-certificate"),
        ("POST", f"/api/v1/documents/{other_doc}/otp"),
        ("POST", f"/api/v1/cases/{other.code}/service-consent"),
    ]:
        kwargs = {"data": upload_form(jpeg_bytes(), "y.jpg")} if method == "POST" and \
            path.endswith("evidence") else {}
        resp = await client.request(method, f"{path}?t={token}", **kwargs)
        assert resp.status == 403, (path, resp.status)
        assert (await resp.json())["error"]["code"] == "other_case"

    # A link for one purpose does not open another; parties cannot do staff's work.
    sign_only = party_token(app, mine, mine.applicant, "sign")
    resp = await client.get(f"/api/v1/cases/{mine.code}/evidence?t={sign_only}")
    assert resp.status == 403
    for path in (f"/api/v1/cases/{mine.code}/agreement", f"/api/v1/documents/{other_doc}/seal",
                 f"/api/v1/documents/{other_doc}/issue"):
        resp = await client.post(f"{path}?t={token}")
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "staff_only"
    # A token from another secret is refused outright.
    forged = issue_token(b"not-the-secret", purpose="case", case_id=other.case_id,
                         party_id=other.applicant)
    resp = await client.get(f"/api/v1/cases/{other.code}/evidence?t={forged}")
    assert resp.status == 401


async def test_every_documents_route_is_in_openapi(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/api/v1/") and route.method != "HEAD" and "openapi" not in path:
            assert route.method.lower() in spec["paths"].get(path, {}), path
    assert "/api/v1/documents/{doc}/sign" in spec["paths"]


async def test_upload_bodies_in_openapi_name_only_the_fields_each_route_reads(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()

    def fields(path: str) -> set[str]:
        body = spec["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
        return set(body["schema"]["properties"])

    assert fields("/api/v1/verify") == {"file"}  # no `visibility`: that is evidence's
    assert fields("/api/v1/cases/{code}/evidence") == {"file", "visibility"}
