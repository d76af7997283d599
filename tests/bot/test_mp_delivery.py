"""Repeated deliveries, the 5-second budget, and per-user limits at the callback."""

from __future__ import annotations

import asyncio
import logging

import xmltodict

from fengqiao.bot import texts
from fengqiao.bot.limits import BotConfig
from fengqiao.storage.kv import LocalStore
from tests.bot import wx

CUSTOM_SEND = "/cgi-bin/message/custom/send"


def content(xml: str) -> str:
    return xmltodict.parse(xml)["xml"]["Content"]


async def until(predicate, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - state owned by other tasks, bounded wait
            await asyncio.sleep(0.005)


async def test_repeated_delivery_gets_same_reply_and_runs_dialog_once(bot_client, intake):
    client = await bot_client()
    body = wx.text("o-r", "楼上噪音", 9001)
    replies = []
    for _ in range(3):
        resp = await client.post("/wechat/mp", params=wx.signed(), data=body)
        replies.append(content(await resp.text()))
    assert replies == ["收到：楼上噪音"] * 3
    assert len(intake.calls) == 1


async def test_repeat_arriving_during_the_first_waits_for_its_reply(bot_client, intake):
    intake.gate = asyncio.Event()
    client = await bot_client()
    body = wx.text("o-r", "漏水", 9002)
    first = asyncio.create_task(client.post("/wechat/mp", params=wx.signed(), data=body))
    await until(lambda: len(intake.calls) == 1)
    second = asyncio.create_task(client.post("/wechat/mp", params=wx.signed(), data=body))
    await asyncio.sleep(0.05)  # let the repeat reach the ledger and wait there
    intake.gate.set()
    texts_back = [content(await (await t).text()) for t in (first, second)]
    assert texts_back == ["收到：漏水", "收到：漏水"]
    assert len(intake.calls) == 1


async def test_repeat_on_another_worker_is_not_handled_twice(bot_client, intake):
    shared = LocalStore(None)
    worker_a = await bot_client(kv=shared)
    worker_b = await bot_client(kv=shared)
    body = wx.text("o-w", "欠款", 9003)
    ra = await worker_a.post("/wechat/mp", params=wx.signed(), data=body)
    rb = await worker_b.post("/wechat/mp", params=wx.signed(), data=body)
    assert content(await ra.text()) == content(await rb.text()) == "收到：欠款"
    assert len(intake.calls) == 1


async def test_event_repeats_are_keyed_by_user_and_create_time(bot_client, intake):
    client = await bot_client()
    for _ in range(2):
        await client.post(
            "/wechat/mp", params=wx.signed(), data=wx.event("o-e", "CLICK", "FQ_HUMAN", 100)
        )
    await client.post(
        "/wechat/mp", params=wx.signed(), data=wx.event("o-e", "CLICK", "FQ_HUMAN", 101)
    )
    await client.post(
        "/wechat/mp", params=wx.signed(), data=wx.event("o-f", "CLICK", "FQ_HUMAN", 100)
    )
    assert [c[2] for c in intake.calls] == ["o-e", "o-e", "o-f"]


async def test_same_msg_id_from_two_senders_is_two_messages(bot_client, intake):
    """A MsgId is unique per sender only: another resident's message with the same MsgId is
    not a repeat of the first and gets its own reply (it used to get the first one's)."""
    client = await bot_client()
    first = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-a", "漏水", 9100))
    other = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-b", "欠薪", 9100))
    assert content(await first.text()) == "收到：漏水"
    reply = xmltodict.parse(await other.text())["xml"]
    assert reply["ToUserName"] == "o-b" and reply["Content"] == "收到：欠薪"
    # ...while a true repeat of either is still answered from the ledger, not run again.
    again = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-b", "欠薪", 9100))
    assert content(await again.text()) == "收到：欠薪"
    assert intake.calls == [("text", "mp", "o-a", "漏水"), ("text", "mp", "o-b", "欠薪")]


async def test_same_msg_id_from_two_senders_on_two_workers(bot_client, intake):
    shared = LocalStore(None)
    worker_a, worker_b = await bot_client(kv=shared), await bot_client(kv=shared)
    ra = await worker_a.post("/wechat/mp", params=wx.signed(), data=wx.text("o-a", "一", 9101))
    rb = await worker_b.post("/wechat/mp", params=wx.signed(), data=wx.text("o-b", "二", 9101))
    assert [content(await ra.text()), content(await rb.text())] == ["收到：一", "收到：二"]
    assert len(intake.calls) == 2


async def test_images_with_one_msg_id_from_two_senders_are_two_pieces_of_evidence(
    bot_client, intake, wechat_fake
):
    wechat_fake.media["m-a"] = b"\xff\xd8a"
    wechat_fake.media["m-b"] = b"\xff\xd8b"
    client = await bot_client()
    await client.post("/wechat/mp", params=wx.signed(), data=wx.image("o-a", "m-a", 9102))
    await client.post("/wechat/mp", params=wx.signed(), data=wx.image("o-b", "m-b", 9102))
    refs = [(call[2], call[4]) for call in intake.calls]
    # The evidence reference is unique in the database: one per sender and message.
    assert refs == [("o-a", "mp:o-a:9102"), ("o-b", "mp:o-b:9102")]


async def test_message_keys_in_the_log_carry_no_openid(bot_client, intake, caplog):
    client = await bot_client()
    body = wx.text("o-logged-openid", "你好", 9103)
    with caplog.at_level(logging.INFO, logger="fengqiao.bot.mp"):
        for _ in range(2):
            await client.post("/wechat/mp", params=wx.signed(), data=body)
    (repeat,) = [r for r in caplog.records if r.getMessage() == "repeat delivery"]
    assert repeat.key.startswith("msg:") and repeat.key.endswith(":9103")
    assert "o-logged-openid" not in repeat.key


async def test_two_events_of_one_sender_in_one_second_are_both_handled(bot_client, intake):
    client = await bot_client()
    for name, key in (("subscribe", "qrscene_X"), ("CLICK", "FQ_HUMAN"), ("CLICK", "FQ_HUMAN")):
        await client.post("/wechat/mp", params=wx.signed(), data=wx.event("o-t", name, key, 200))
    # subscribe and CLICK at the same CreateTime are two events; the second CLICK a repeat.
    assert [c[3] for c in intake.calls] == ["subscribe", "menu_human"]


async def test_slow_turn_answers_success_then_sends_customer_service_message(
    bot_client, intake, wechat_fake
):
    intake.gate = asyncio.Event()
    client = await bot_client(reply_budget_seconds=0.2)
    body = wx.text("o-slow", "人身伤害", 9004)
    resp = await client.post("/wechat/mp", params=wx.signed(), data=body)
    assert await resp.text() == "success"
    assert wechat_fake.received(CUSTOM_SEND) == []
    # WeChat's retry of the same message must not start the dialog again.
    resp = await client.post("/wechat/mp", params=wx.signed(), data=body)
    assert await resp.text() == "success"
    intake.gate.set()
    (sent,) = await wechat_fake.wait_for(CUSTOM_SEND)
    assert sent == {"touser": "o-slow", "msgtype": "text", "text": {"content": "收到：人身伤害"}}
    assert len(intake.calls) == 1


async def test_late_reply_refused_by_wechat_is_logged_and_dropped(
    bot_client, intake, wechat_fake, caplog
):
    intake.gate = asyncio.Event()
    wechat_fake.fail(CUSTOM_SEND, 45015)
    client = await bot_client(reply_budget_seconds=0.1)
    with caplog.at_level(logging.WARNING, logger="fengqiao.bot.mp"):
        resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-x", "a", 1))
        assert await resp.text() == "success"
        intake.gate.set()
        await until(lambda: any("not deliverable" in r.getMessage() for r in caplog.records))
    sends = [c.errcode for c in wechat_fake.calls if c.path == CUSTOM_SEND]
    assert sends == [45015]  # given up, not retried


async def test_failed_turn_answers_politely_and_lets_a_repeat_retry(bot_client, intake):
    intake.fail = True
    client = await bot_client()
    body = wx.text("o-f", "吵架", 9005)
    resp = await client.post("/wechat/mp", params=wx.signed(), data=body)
    assert "繁忙" in content(await resp.text())
    intake.fail = False
    resp = await client.post("/wechat/mp", params=wx.signed(), data=body)
    assert content(await resp.text()) == "收到：吵架"
    assert len(intake.calls) == 2


async def test_user_over_the_limit_gets_a_polite_reply(bot_client, intake):
    now = 1_700_000_010  # a fixed clock: the minute cannot roll over mid-test
    client = await bot_client(BotConfig(user_messages_per_minute=3, clock=lambda: float(now)))
    replies = []
    for i in range(5):
        resp = await client.post("/wechat/mp", params=wx.signed(now), data=wx.text("o-l", "x", i))
        replies.append(content(await resp.text()))
    assert replies[:3] == ["收到：x"] * 3
    assert replies[3:] == [texts.RATE_LIMITED] * 2
    resp = await client.post("/wechat/mp", params=wx.signed(now), data=wx.text("o-other", "y", 99))
    assert content(await resp.text()) == "收到：y"
    assert len(intake.calls) == 4


async def test_repeat_takes_over_a_claim_whose_worker_died(bot_client, intake):
    shared = LocalStore(None)
    client = await bot_client(kv=shared)
    # What a worker killed mid-turn leaves behind: its claim, no longer renewed.
    await shared.set(f"tmp:wechat:mp:{wx.APPID}:msg:o-d:9020", b"pending:dead-worker", ttl=0.2)
    await asyncio.sleep(0.3)
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-d", "欠薪", 9020))
    assert content(await resp.text()) == "收到：欠薪"
    assert len(intake.calls) == 1
    again = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-d", "欠薪", 9020))
    assert content(await again.text()) == "收到：欠薪"
    assert len(intake.calls) == 1


async def test_a_worker_that_lost_its_claim_stays_silent(bot_client, intake):
    intake.gate = asyncio.Event()
    shared = LocalStore(None)
    client = await bot_client(kv=shared)
    first = asyncio.create_task(
        client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-s", "漏水", 9030))
    )
    await until(lambda: len(intake.calls) == 1)
    # This worker stalled past its lease and a repeat on another worker took the message over.
    await shared.set(f"tmp:wechat:mp:{wx.APPID}:msg:o-s:9030", b"pending:other-worker", ttl=30)
    intake.gate.set()
    resp = await first
    assert await resp.text() == "success"  # the other worker answers; one reply, not two


async def test_reply_whose_connection_is_gone_goes_as_a_message(tmp_path, intake, wechat_fake):
    # As in production (web.run_app): a hang-up does not cancel the handler. TestServer
    # would cancel it, so this test runs its own runner.
    import aiohttp
    from aiohttp import web

    from fengqiao import bot, keys
    from fengqiao.settings import Settings
    from fengqiao.web.kit.middleware import door

    app = web.Application(middlewares=[door])
    app[keys.SETTINGS] = Settings(
        data_dir=tmp_path, secret_key="test", wechat_token=wx.TOKEN, wechat_appid=wx.APPID,
        wechat_secret=wx.MP_SECRET, wechat_api_base=wechat_fake.base_url,
    )
    app[keys.KV] = LocalStore(None)
    app[keys.INTAKE] = intake
    bot.setup(app)
    runner = web.AppRunner(app, handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/wechat/mp"
    intake.gate = asyncio.Event()
    body = wx.text("o-gone", "漏水", 9040)
    try:
        async with aiohttp.ClientSession() as http:
            first = asyncio.create_task(http.post(url, params=wx.signed(), data=body))
            await until(lambda: len(intake.calls) == 1)
            first.cancel()  # WeChat hung up on this delivery (its repeat got "success")
            await asyncio.sleep(0.1)
            intake.gate.set()
            (sent,) = await wechat_fake.wait_for(CUSTOM_SEND)
            assert sent["touser"] == "o-gone" and sent["text"]["content"] == "收到：漏水"
            # A later repeat does not get the reply a second time.
            async with http.post(url, params=wx.signed(), data=body) as resp:
                assert await resp.text() == "success"
        assert len(intake.calls) == 1
    finally:
        await runner.cleanup()
