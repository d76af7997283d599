"""One resident across the official account and the mini-program, against the fake WeChat API:
joined by unionid, reached only through a channel of their own, subscribe messages used one
grant per message. The fake answers 40003 when an openid is written to through another
AppID's token, as WeChat does."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.bot.notifiers import WeChatNotifier
from fengqiao.cases.outbox import OutboxDispatcher
from fengqiao.cases.service import PartyInfo
from fengqiao.documents import lookup
from fengqiao.documents.notify import NotSent
from fengqiao.settings import Settings
from fengqiao.storage.models import OutboxMessage
from tests.bot import wx
from tests.bot.test_integration import converse_mp
from tests.cases.helpers import config_with_templates, resident_case
from tests.fakes.wechat_server import FakeWeChat
from tests.web.sessions import staff_session

SEND = "/cgi-bin/message/subscribe/send"
CUSTOM = "/cgi-bin/message/custom/send"


@pytest.fixture
async def client(
    settings: Settings, wechat_fake: FakeWeChat, tmp_path: Path
) -> AsyncIterator[TestClient]:
    settings = dataclasses.replace(
        settings,
        wechat_token=wx.TOKEN,
        wechat_appid=wx.APPID,
        wechat_secret=wx.MP_SECRET,
        wechat_api_base=wechat_fake.base_url,
        wxa_appid=wx.WXA_APPID,
        wxa_secret=wx.WXA_SECRET,
        config_dir=config_with_templates(tmp_path),
    )
    toml = settings.config_dir / "notifications.toml"
    # Both accounts are bound to one open platform: followers' unionids are asked.
    text = toml.read_text("utf-8")
    toml.write_text(text.replace("open_platform = false", "open_platform = true"))
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False  # the test sends the outbox itself
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()


async def login(client: TestClient, fake: FakeWeChat, openid: str) -> dict[str, str]:
    fake.js_codes[f"code-{openid}"] = openid
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": f"code-{openid}"})
    assert resp.status == 200
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


def dispatcher(app) -> OutboxDispatcher:
    notifier = WeChatNotifier(app[keys.WECHAT], app[keys.WXA])
    return OutboxDispatcher(app[keys.DB], notifier, app[keys.CASES].config)


async def outbox(app) -> list[OutboxMessage]:
    async with app[keys.DB].read() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_filed_on_the_official_account_seen_in_the_mini_program(client, wechat_fake):
    wechat_fake.unionids.update({"o-person": "union-7", "wxa-person": "union-7"})
    resident = await converse_mp(client, "o-person")
    assert resident.code
    # The follower's unionid is asked beside the turns, once.
    for _ in range(100):
        if wechat_fake.received("/cgi-bin/user/info"):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    assert len(wechat_fake.received("/cgi-bin/user/info")) == 1
    headers = await login(client, wechat_fake, "wxa-person")
    body = await (await client.get("/api/v1/me/cases", headers=headers)).json()
    assert [c["code"] for c in body["cases"]] == [resident.code]
    assert body["cases"][0]["role"] == "applicant"
    detail = await client.get(f"/api/v1/me/cases/{resident.code}", headers=headers)
    assert detail.status == 200
    # Someone else on the mini-program (another unionid) does not see it.
    wechat_fake.unionids["wxa-stranger"] = "union-8"
    other = await login(client, wechat_fake, "wxa-stranger")
    assert (await (await client.get("/api/v1/me/cases", headers=other)).json())["cases"] == []
    resp = await client.get(f"/api/v1/me/cases/{resident.code}", headers=other)
    assert resp.status == 403


async def test_a_mini_program_party_is_reached_by_subscribe_message_or_not_at_all(
    client, wechat_fake
):
    app = client.server.app
    wechat_fake.owners["wxa-only"] = wx.WXA_APPID
    headers = await login(client, wechat_fake, "wxa-only")
    cases = app[keys.CASES]
    filed = await cases.file_case(
        resident_case(9, applicant=PartyInfo(name="李四", openid="wxa-only", channel="wxa"))
    )
    offer = await (await client.get("/api/v1/me/subscriptions", headers=headers)).json()
    ids = {s["kind"]: s["template_id"] for s in offer["subscriptions"]}
    assert set(ids) == {"progress", "booking", "reminder", "signing", "delivery"}
    resp = await client.post(
        "/api/v1/me/subscriptions",
        json={"answers": {ids["progress"]: "accept", ids["booking"]: "reject"}},
        headers=headers,
    )
    left = {s["kind"]: s["left"] for s in (await resp.json())["subscriptions"]}
    assert left["progress"] == 1 and left["booking"] == 0
    bad = await client.post(
        "/api/v1/me/subscriptions", json={"answers": {"x": "maybe"}}, headers=headers
    )
    assert bad.status == 400

    await cases.route(filed.code, "staff:li")
    await cases.handle(filed.code, "staff:li")
    await dispatcher(app).run_once()
    [message] = wechat_fake.received(SEND)
    assert message["touser"] == "wxa-only" and message["template_id"] == ids["progress"]
    assert message["page"] == f"pages/progress/index?code={filed.code}"
    first, second = await outbox(app)
    assert first.status == "sent"
    assert second.status == "undeliverable" and "订阅消息授权已用完" in second.last_error
    # Never through the official account: neither its customer-service nor template API.
    assert wechat_fake.received(CUSTOM, ok_only=False) == []
    assert wechat_fake.received("/cgi-bin/message/template/send", ok_only=False) == []
    # Staff see how the party can be reached and why the notice was not delivered.
    staff = await staff_session(app, "admin1", role="admin")
    page = await (await client.get(f"/console/cases/{filed.code}", headers=staff)).text()
    assert "可联系：小程序" in page and "订阅消息授权已用完" in page


async def test_a_signing_link_to_a_mini_program_openid_never_goes_to_custom_send(
    client, wechat_fake
):
    app = client.server.app
    wechat_fake.owners["wxa-signer"] = wx.WXA_APPID
    headers = await login(client, wechat_fake, "wxa-signer")
    filed = await app[keys.CASES].file_case(
        resident_case(10, applicant=PartyInfo(name="李四", openid="wxa-signer", channel="wxa"))
    )
    async with app[keys.DB].read() as session:
        to = await lookup.reach_of_openid(session, "wxa-signer")
    assert to is not None and [c.kind for c in to.channels] == ["wxa"]
    notifier = app[keys.DOCUMENTS].notifier
    url = "https://fq.example/h5/sign/DOC-1?t=fq1.abc.def"
    with pytest.raises(NotSent, match="订阅消息授权已用完"):
        await notifier.send_link(to, "signing", "请签署", "调解协议书", url, code=filed.code)
    await client.post(
        "/api/v1/me/subscriptions", json={"answers": {"TPL-WXA-signing": "accept"}},
        headers=headers,
    )
    await notifier.send_link(to, "signing", "请签署", "调解协议书", url, code=filed.code)
    [message] = wechat_fake.received(SEND)
    assert message["touser"] == "wxa-signer"
    assert message["page"] == "pages/sign/index?doc=DOC-1&t=fq1.abc.def"
    assert wechat_fake.received(CUSTOM, ok_only=False) == []


async def test_phone_authorisation_adds_the_sms_channel(client, wechat_fake):
    headers = await login(client, wechat_fake, "wxa-phone")
    wechat_fake.phone_codes["phone-code"] = "13912345678"
    resp = await client.post("/api/v1/me/phone", json={"code": "phone-code"}, headers=headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["phone"] != "13912345678" and body["phone"].endswith("5678")
    assert body["channels"] == ["小程序", "短信"]
    again = await client.post("/api/v1/me/phone", json={"code": "phone-code"}, headers=headers)
    assert again.status == 400 and (await again.json())["error"]["code"] == "invalid_code"
    assert (await client.post("/api/v1/me/phone", json={"code": "x"})).status == 401
