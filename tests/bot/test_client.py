"""The async WeChat API client against the fake server: tokens, errcodes, the calls it makes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from fengqiao.bot.client import (
    InvalidLoginCode,
    ReplyWindowClosed,
    SystemBusy,
    TokenRejected,
    TooManyMessages,
    WeChatApiError,
    WeChatClient,
    WeChatUnavailable,
)
from fengqiao.storage.kv import LocalStore
from tests.bot import wx
from tests.fakes.wechat_server import FakeWeChat

CUSTOM_SEND = "/cgi-bin/message/custom/send"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def make(http, fake: FakeWeChat, kv=None, appid=wx.APPID, secret=wx.MP_SECRET) -> WeChatClient:
    return WeChatClient(
        http,
        kv or LocalStore(None),
        api_base=fake.base_url,
        appid=appid,
        secret=secret,
        backoff=(0.01, 0.01, 0.01),
    )


async def test_token_is_fetched_once_and_cached(http, wechat_fake):
    client = make(http, wechat_fake)
    await client.send_text("o-1", "一")
    await client.send_text("o-1", "二")
    assert wechat_fake.token_fetches == 1
    assert [b["text"]["content"] for b in wechat_fake.received(CUSTOM_SEND)] == ["一", "二"]


async def test_concurrent_callers_share_one_token_fetch(http, wechat_fake):
    wechat_fake.delays["/cgi-bin/stable_token"] = 0.05  # keep the first fetch in flight
    kv = LocalStore(None)
    # Two clients on one store play two worker processes.
    a, b = make(http, wechat_fake, kv), make(http, wechat_fake, kv)
    tokens = await asyncio.gather(a.access_token(), b.access_token(), a.access_token())
    assert len(set(tokens)) == 1
    assert wechat_fake.token_fetches == 1


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
async def test_invalid_token_is_refreshed_once_and_the_call_retried(http, wechat_fake, errcode):
    client = make(http, wechat_fake)
    await client.access_token()
    wechat_fake.fail(CUSTOM_SEND, errcode)
    await client.send_text("o-1", "重试")
    assert wechat_fake.token_fetches == 2
    assert [c.errcode for c in wechat_fake.calls if c.path == CUSTOM_SEND] == [errcode, 0]
    stable = [c.body for c in wechat_fake.calls if c.path == "/cgi-bin/stable_token"]
    assert [s["force_refresh"] for s in stable] == [False, True]


async def test_expired_token_from_wechat_is_replaced(http, wechat_fake):
    client = make(http, wechat_fake)
    await client.send_text("o-1", "a")
    wechat_fake.expire_tokens()
    await client.send_text("o-1", "b")
    assert [c.errcode for c in wechat_fake.calls if c.path == CUSTOM_SEND] == [0, 42001, 0]


async def test_token_refused_twice_gives_up(http, wechat_fake):
    client = make(http, wechat_fake)
    wechat_fake.fail(CUSTOM_SEND, 40001, times=2)
    with pytest.raises(TokenRejected):
        await client.send_text("o-1", "x")
    assert len([c for c in wechat_fake.calls if c.path == CUSTOM_SEND]) == 2


async def test_concurrent_token_errors_refresh_once(http, wechat_fake):
    kv = LocalStore(None)
    a, b = make(http, wechat_fake, kv), make(http, wechat_fake, kv)
    await a.access_token()
    wechat_fake.fail(CUSTOM_SEND, 40001, times=2)
    await asyncio.gather(a.send_text("o-1", "a"), b.send_text("o-2", "b"))
    # Both saw the same bad token; only the first to take the lock fetched a new one.
    assert wechat_fake.token_fetches == 2
    assert len(wechat_fake.received(CUSTOM_SEND)) == 2


async def test_system_busy_is_retried_with_backoff(http, wechat_fake):
    client = make(http, wechat_fake)
    wechat_fake.fail(CUSTOM_SEND, -1, times=2)
    await client.send_text("o-1", "忙")
    assert [c.errcode for c in wechat_fake.calls if c.path == CUSTOM_SEND] == [-1, -1, 0]


async def test_system_busy_that_persists_raises(http, wechat_fake):
    client = make(http, wechat_fake)
    wechat_fake.fail(CUSTOM_SEND, -1, times=10)
    with pytest.raises(SystemBusy):
        await client.send_text("o-1", "忙")
    assert len([c for c in wechat_fake.calls if c.path == CUSTOM_SEND]) == 4


@pytest.mark.parametrize(
    ("errcode", "error"),
    [(45015, ReplyWindowClosed), (45047, TooManyMessages), (40003, WeChatApiError)],
)
async def test_other_errcodes_raise_without_retry(http, wechat_fake, errcode, error):
    client = make(http, wechat_fake)
    wechat_fake.fail(CUSTOM_SEND, errcode)
    with pytest.raises(error) as caught:
        await client.send_text("o-1", "x")
    assert caught.value.errcode == errcode
    assert len([c for c in wechat_fake.calls if c.path == CUSTOM_SEND]) == 1


async def test_wrong_secret_is_a_clear_error(http, wechat_fake):
    client = make(http, wechat_fake, secret="wrong")
    with pytest.raises(WeChatApiError) as caught:
        await client.send_text("o-1", "x")
    assert caught.value.errcode == 40125
    assert "/cgi-bin/stable_token" in str(caught.value)


async def test_media_download_returns_bytes_and_maps_errors(http, wechat_fake):
    wechat_fake.media["m-1"] = b"\x89PNG..."
    client = make(http, wechat_fake)
    assert await client.download_media("m-1") == b"\x89PNG..."
    with pytest.raises(WeChatApiError) as caught:
        await client.download_media("missing")
    assert caught.value.errcode == 40007
    photo = bytes(range(256)) * 4096  # 1 MiB, arriving in pieces
    wechat_fake.media["m-2"] = photo
    assert await client.download_media("m-2") == photo


async def test_template_and_subscribe_messages(http, wechat_fake):
    mp = make(http, wechat_fake)
    wxa = make(http, wechat_fake, appid=wx.WXA_APPID, secret=wx.WXA_SECRET)
    msgid = await mp.send_template("o-1", "T1", {"first": "您的案件已受理"}, url="https://x/y")
    assert msgid > 0
    await wxa.send_subscribe("o-2", "S1", {"thing1": "调解预约"}, page="pages/case")
    (tpl,) = wechat_fake.received("/cgi-bin/message/template/send")
    assert tpl == {
        "touser": "o-1",
        "template_id": "T1",
        "data": {"first": {"value": "您的案件已受理"}},
        "url": "https://x/y",
    }
    (sub,) = wechat_fake.received("/cgi-bin/message/subscribe/send")
    assert sub["page"] == "pages/case" and sub["data"] == {"thing1": {"value": "调解预约"}}
    # Each account has its own token.
    assert wechat_fake.token_fetches == 2


async def test_jscode2session(http, wechat_fake):
    wechat_fake.js_codes["c-1"] = "wxa-openid-1"
    client = make(http, wechat_fake, appid=wx.WXA_APPID, secret=wx.WXA_SECRET)
    session = await client.jscode2session("c-1")
    assert session.openid == "wxa-openid-1"
    assert not hasattr(session, "session_key")
    with pytest.raises(InvalidLoginCode):
        await client.jscode2session("c-1")  # a code works once


async def test_unreachable_wechat_is_unavailable(http, wechat_fake):
    client = make(http, wechat_fake)
    client.api_base = "http://127.0.0.1:9"  # discard port: connection refused
    with pytest.raises(WeChatUnavailable):
        await client.send_text("o-1", "x")


async def test_fake_plain_token_endpoint_invalidates_older_tokens(http, wechat_fake):
    url = wechat_fake.base_url + "/cgi-bin/token"
    query = {"grant_type": "client_credential", "appid": wx.APPID, "secret": wx.MP_SECRET}
    async with http.get(url, params=query) as resp:
        first = (await resp.json())["access_token"]
    async with http.get(url, params=query) as resp:
        second = (await resp.json())["access_token"]
    send = wechat_fake.base_url + CUSTOM_SEND
    async with http.post(send, params={"access_token": first}, json={"touser": "o"}) as resp:
        assert (await resp.json())["errcode"] == 40001
    async with http.post(send, params={"access_token": second}, json={"touser": "o"}) as resp:
        assert (await resp.json())["errcode"] == 0
