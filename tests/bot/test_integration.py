"""Whole conversations through the real app (real IntakeService and case service) over HTTP."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator

import pytest
import xmltodict
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases import codes
from fengqiao.settings import Settings
from tests.bot import wx
from tests.fakes.resident import Resident
from tests.fakes.wechat_server import FakeWeChat

_ids = itertools.count(700_000)


async def _client(settings: Settings, wechat_fake: FakeWeChat, aes_key: str) -> TestClient:
    settings = dataclasses.replace(
        settings,
        wechat_token=wx.TOKEN,
        wechat_aes_key=aes_key,
        wechat_appid=wx.APPID,
        wechat_secret=wx.MP_SECRET,
        wechat_api_base=wechat_fake.base_url,
        wxa_appid=wx.WXA_APPID,
        wxa_secret=wx.WXA_SECRET,
    )
    client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def app_client(settings: Settings, wechat_fake: FakeWeChat) -> AsyncIterator[TestClient]:
    """The whole app, its official account in plain mode."""
    client = await _client(settings, wechat_fake, "")
    yield client
    await client.close()


@pytest.fixture
async def safe_client(settings: Settings, wechat_fake: FakeWeChat) -> AsyncIterator[TestClient]:
    """The whole app, its official account in safe mode (EncodingAESKey set)."""
    client = await _client(settings, wechat_fake, wx.AES_KEY)
    yield client
    await client.close()


async def say_mp(client: TestClient, user: str, text: str, safe: bool) -> str:
    xml = wx.text(user, text, next(_ids))
    if safe:
        body, params = wx.encrypted(xml)
        resp = await client.post("/wechat/mp", params=params, data=body)
        envelope = xmltodict.parse(await resp.text())["xml"]
        xml = wx.crypto().decrypt_message(
            await resp.text(), envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
    else:
        resp = await client.post("/wechat/mp", params=wx.signed(), data=xml)
        xml = await resp.text()
    assert resp.status == 200
    reply = xmltodict.parse(xml)["xml"]
    assert reply["ToUserName"] == user
    return reply["Content"]


async def converse_mp(client: TestClient, user: str, safe: bool = False) -> Resident:
    resident = Resident()
    said: str | None = resident.opening()
    while said is not None:
        said = resident.answer(said, await say_mp(client, user, said, safe))
    return resident


async def test_official_account_conversation_files_a_case(app_client):
    await files_a_case(app_client, safe=False)


async def test_safe_mode_conversation_files_a_case(safe_client):
    await files_a_case(safe_client, safe=True)


async def files_a_case(client: TestClient, safe: bool) -> None:
    resident = await converse_mp(client, f"o-int-{safe}", safe)
    assert resident.code and codes.is_valid(resident.code)
    case = await client.server.app[keys.CASES].get(resident.code)
    assert case.channel == "mp"
    assert "噪音" in case.description
    assert "公众号菜单" in resident.transcript[-1][1]  # where this resident follows the case


async def test_scan_with_case_code_shows_its_progress(app_client):
    resident = await converse_mp(app_client, "o-int-scan")
    resp = await app_client.post(
        "/wechat/mp",
        params=wx.signed(),
        data=wx.event("o-someone-else", "SCAN", resident.code, create_time=11),
    )
    reply = xmltodict.parse(await resp.text())["xml"]["Content"]
    assert resident.code in reply and "受理" in reply


async def test_menu_mediate_then_image_evidence_goes_with_the_case(app_client, wechat_fake):
    user = "o-int-img"
    resp = await app_client.post(
        "/wechat/mp", params=wx.signed(), data=wx.event(user, "CLICK", "FQ_MEDIATE", 1)
    )
    assert "同意" in xmltodict.parse(await resp.text())["xml"]["Content"]
    resident = Resident()
    said: str | None = "同意"
    while said is not None:
        said = resident.answer(said, await say_mp(app_client, user, said, False))
    wechat_fake.media["photo"] = b"\xff\xd8\xff\xe0" + b"\0" * 200
    resp = await app_client.post(
        "/wechat/mp", params=wx.signed(), data=wx.image(user, "photo", next(_ids))
    )
    assert resident.code in xmltodict.parse(await resp.text())["xml"]["Content"]


async def test_repeated_delivery_through_real_dialog_advances_once(app_client):
    user, body = "o-int-rep", wx.text("o-int-rep", "你好", next(_ids))
    replies = []
    for _ in range(3):
        resp = await app_client.post("/wechat/mp", params=wx.signed(), data=body)
        replies.append(xmltodict.parse(await resp.text())["xml"]["Content"])
    assert len(set(replies)) == 1
    session = await app_client.server.app[keys.INTAKE].load("mp", user)
    assert session.state == "consent"


async def test_mini_program_conversation_files_a_case(app_client, wechat_fake):
    wechat_fake.js_codes["js-1"] = "wxa-int-1"
    resp = await app_client.post("/api/v1/auth/wxa-login", json={"code": "js-1"})
    headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
    resident = Resident()
    said: str | None = resident.opening()
    last = None
    while said is not None:
        resp = await app_client.post(
            "/api/v1/intake/messages", json={"text": said}, headers=headers
        )
        assert resp.status == 200
        last = await resp.json()
        said = resident.answer(said, last["reply"])
    assert last is not None and last["case_code"] == resident.code
    assert last["state"] == "filed"
    case = await app_client.server.app[keys.CASES].get(resident.code)
    assert case.channel == "wxa"


async def test_template_delivery_report_updates_the_outbox_row(app_client):
    from sqlalchemy import select

    from fengqiao.storage.models import OutboxMessage

    resident = await converse_mp(app_client, "o-int-tpl")
    cases = app_client.server.app[keys.CASES]
    await cases.route(resident.code, "staff:li")
    async with cases.db.transaction() as session:
        row = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        row.status, row.msgid = "sent", "987654321"
    xml = wx._wrap(
        "o-int-tpl",
        None,
        "event",
        {"Event": "TEMPLATESENDJOBFINISH", "MsgID": 987654321, "Status": "failed:user block"},
    )
    resp = await app_client.post("/wechat/mp", params=wx.signed(), data=xml)
    assert resp.status == 200 and await resp.text() == "success"
    async with cases.db.read() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.id == row.id))
    assert row.delivery == "failed:user block"
