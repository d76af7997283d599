"""The resident's own space: my cases and one case of mine, never another person's."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.web.kit.requester import wxa_session_key
from tests.conftest import make_settings
from tests.web.docs_helpers import make_case, party_token
from tests.web.sessions import staff_session


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


async def session_of(app, openid: str) -> dict[str, str]:
    token = f"session-of-{openid}"
    await app[keys.KV].set(wxa_session_key(token), openid, ttl=3600)
    return {"Authorization": f"Bearer {token}"}


async def test_a_resident_sees_their_own_cases_and_only_those(client):
    app = client.app
    mine, other = await make_case(app, suffix="me"), await make_case(app, suffix="other")
    # make_case gives the respondent the openid o-resp-<suffix> (an official-account person).
    me = await session_of(app, "o-resp-me")
    body = await (await client.get("/api/v1/me/cases", headers=me)).json()
    assert [c["code"] for c in body["cases"]] == [mine.code]
    assert body["cases"][0]["role_name"] == "被申请人"
    detail = await client.get(f"/api/v1/me/cases/{mine.code}", headers=me)
    assert detail.status == 200
    found = await detail.json()
    assert found["status_name"] == "受理" and found["my_role"] == "respondent"
    assert found["steps"] and "phone" not in str(found)
    resp = await client.get(f"/api/v1/me/cases/{other.code}", headers=me)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "not_party"
    assert (await (await client.get("/api/v1/me", headers=me)).json())["cases"] == 1


async def test_only_a_resident_session_opens_the_space(client):
    app = client.app
    case = await make_case(app, suffix="x")
    assert (await client.get("/api/v1/me/cases")).status == 401
    bad = {"Authorization": "Bearer never-issued"}
    assert (await client.get("/api/v1/me/cases", headers=bad)).status == 401
    staff = await staff_session(app, "clerk", role="staff")
    assert (await client.get("/api/v1/me/cases", headers=staff)).status == 403
    assert (await client.get(f"/api/v1/me/cases/{case.code}", headers=staff)).status == 403
    link = party_token(app, case, case.applicant, "case")
    assert (await client.get(f"/api/v1/me/cases/{case.code}?t={link}")).status == 403
