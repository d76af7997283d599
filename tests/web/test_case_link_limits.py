"""Probe 2 findings on the case link: the party's own case page does not share the public
look-up counter (#4)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from fengqiao.app import create_app
from tests.conftest import make_settings

from .docs_helpers import make_case, party_token


async def test_the_partys_own_case_is_not_a_public_lookup(tmp_path):
    settings = make_settings(tmp_path, lookups_per_minute_per_ip=3)
    async with TestClient(TestServer(create_app(settings))) as client:
        case = await make_case(client.app)
        link = party_token(client.app, case, case.applicant, "case")
        for n in range(4):  # a neighbour behind the same address spends the look-ups
            await client.get(f"/api/v1/verify/FQ2611-AAAAA{n}-A-0000000{n}")
        assert (await client.get(f"/api/v1/cases/{case.code}/progress")).status == 429
        for _ in range(5):
            resp = await client.get(f"/api/v1/cases/{case.code}/progress?t={link}")
            assert resp.status == 200, await resp.text()
        assert (await client.get(f"/h5/case/{case.code}?t={link}")).status == 200
        # Another case's link buys no look-up of this one.
        other = await make_case(client.app, suffix="b")
        stranger = party_token(client.app, other, other.applicant, "case")
        resp = await client.get(f"/api/v1/cases/{case.code}/progress?t={stranger}")
        assert resp.status == 429
