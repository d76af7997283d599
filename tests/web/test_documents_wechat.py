"""Sign links go out through the official account; when WeChat refuses, nothing breaks."""

from __future__ import annotations

import dataclasses

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.storage.models import DocumentEvent
from tests.bot import wx
from tests.fakes.wechat_server import FakeWeChat

from .docs_helpers import complete, make_case, staff_headers


@pytest.fixture
async def fake():
    fake = FakeWeChat(accounts={wx.APPID: wx.MP_SECRET})
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(settings, fake):
    settings = dataclasses.replace(
        settings, wechat_appid=wx.APPID, wechat_secret=wx.MP_SECRET, wechat_api_base=fake.base_url
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def issue(client):
    case = await make_case(client.app)
    staff = await staff_headers(client.app)
    draft = await (await client.post(f"/api/v1/cases/{case.code}/agreement", headers=staff)).json()
    doc = draft["code"]
    resp = await client.put(
        f"/api/v1/documents/{doc}/draft", headers=staff, json=complete(draft["data"])
    )
    assert resp.status == 200
    resp = await client.post(f"/api/v1/documents/{doc}/issue", headers=staff)
    assert resp.status == 200, await resp.text()
    async with client.app[keys.DB].read() as session:
        events = (await session.scalars(select(DocumentEvent).order_by(DocumentEvent.id))).all()
    return [e.event for e in events]


async def test_sign_links_reach_the_parties_through_wechat(client, fake):
    events = await issue(client)
    sent = fake.received("/cgi-bin/message/custom/send")
    assert len(sent) == 2  # both parties have a WeChat identity
    assert all("/h5/sign/" in body["text"]["content"] for body in sent)
    assert events.count("sent") == 2


async def test_a_refused_link_is_recorded_and_the_issue_still_succeeds(client, fake):
    fake.fail("/cgi-bin/message/custom/send", 45015, times=2)
    events = await issue(client)
    assert events.count("send_failed") == 2
    assert "sent" not in events
