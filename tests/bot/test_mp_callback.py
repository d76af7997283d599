"""The official-account callback: URL check, signatures, replays, safe mode, message kinds."""

from __future__ import annotations

import xmltodict

from fengqiao import keys
from fengqiao.bot.limits import BotConfig
from tests.bot import wx


def _reply_content(xml: str) -> dict[str, str]:
    return xmltodict.parse(xml)["xml"]


async def test_url_check_echoes_echostr(bot_client):
    client = await bot_client()
    resp = await client.get("/wechat/mp", params=wx.signed(echostr="hello-123"))
    assert resp.status == 200
    assert await resp.text() == "hello-123"


async def test_url_check_with_wrong_signature_is_403(bot_client):
    client = await bot_client()
    params = wx.signed(echostr="hello-123")
    params["signature"] = "0" * 40
    resp = await client.get("/wechat/mp", params=params)
    assert resp.status == 403
    assert "hello-123" not in await resp.text()


async def test_tencent_sample_vector_decrypts_and_gets_encrypted_reply(bot_client, intake):
    client = await bot_client(BotConfig(clock=lambda: float(wx.SAMPLE_TIMESTAMP)), **wx.SAFE)
    params = {
        "timestamp": wx.SAMPLE_TIMESTAMP,
        "nonce": wx.SAMPLE_NONCE,
        "msg_signature": wx.SAMPLE_MSG_SIGNATURE,
        "encrypt_type": "aes",
    }
    resp = await client.post("/wechat/mp", params=params, data=wx.SAMPLE_BODY)
    assert resp.status == 200
    assert intake.calls == [("text", "mp", wx.SAMPLE_USER, "abcdteT")]
    envelope = _reply_content(await resp.text())
    assert "Content" not in envelope  # nothing in clear text
    assert envelope["MsgSignature"] == wx.sign(
        wx.TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"]
    )
    plain = wx.crypto().decrypt_message(
        await resp.text(), envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    reply = _reply_content(plain)
    assert reply["ToUserName"] == wx.SAMPLE_USER
    assert reply["FromUserName"] == wx.ACCOUNT
    assert reply["MsgType"] == "text"
    assert reply["Content"] == "收到：abcdteT"


async def test_safe_mode_with_forged_msg_signature_is_403(bot_client, intake):
    client = await bot_client(BotConfig(clock=lambda: float(wx.SAMPLE_TIMESTAMP)), **wx.SAFE)
    params = {
        "timestamp": wx.SAMPLE_TIMESTAMP,
        "nonce": wx.SAMPLE_NONCE,
        "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fb",
        "encrypt_type": "aes",
    }
    resp = await client.post("/wechat/mp", params=params, data=wx.SAMPLE_BODY)
    assert resp.status == 403
    assert intake.calls == []


async def test_safe_mode_round_trip_with_fresh_message(bot_client, intake):
    client = await bot_client(**wx.SAFE)
    body, params = wx.encrypted(wx.text("o-user-1", "你好", 501))
    resp = await client.post("/wechat/mp", params=params, data=body)
    assert resp.status == 200
    envelope = _reply_content(await resp.text())
    plain = wx.crypto().decrypt_message(
        await resp.text(), envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    assert _reply_content(plain)["Content"] == "收到：你好"


async def test_plain_post_with_forged_signature_is_403(bot_client, intake):
    client = await bot_client()
    params = wx.signed()
    params["nonce"] = "43"  # signature no longer matches
    resp = await client.post("/wechat/mp", params=params, data=wx.text("o-1", "hi", 1))
    assert resp.status == 403
    assert intake.calls == []


async def test_missing_signature_is_403(bot_client, intake):
    client = await bot_client()
    params = wx.signed()
    del params["signature"]
    resp = await client.post("/wechat/mp", params=params, data=wx.text("o-1", "hi", 1))
    assert resp.status == 403
    assert intake.calls == []


async def test_replayed_timestamps_are_403(bot_client, intake):
    now = 1_700_000_000
    client = await bot_client(BotConfig(clock=lambda: float(now)))
    for ts in (now - 301, now + 301, 1409735669):
        resp = await client.post("/wechat/mp", params=wx.signed(ts), data=wx.text("o-1", "hi", ts))
        assert resp.status == 403, ts
    for i, ts in enumerate((now - 300, now + 300)):
        resp = await client.post("/wechat/mp", params=wx.signed(ts), data=wx.text("o", "x", i))
        assert resp.status == 200
    assert len(intake.calls) == 2


async def test_plain_text_gets_text_reply(bot_client, intake):
    client = await bot_client()
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-9", "邻居漏水", 77))
    reply = _reply_content(await resp.text())
    assert reply["ToUserName"] == "o-9"
    assert reply["Content"] == "收到：邻居漏水"
    assert intake.calls == [("text", "mp", "o-9", "邻居漏水")]


async def test_voice_uses_recognition_or_asks_for_text(bot_client, intake):
    client = await bot_client()
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.voice("o-v", 1, "欠薪"))
    assert _reply_content(await resp.text())["Content"] == "收到：欠薪"
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.voice("o-v", 2, None))
    assert "文字" in _reply_content(await resp.text())["Content"]
    assert intake.calls == [("text", "mp", "o-v", "欠薪")]


async def test_image_is_downloaded_and_passed_as_evidence(bot_client, intake, wechat_fake):
    wechat_fake.media["m-1"] = b"\xff\xd8jpeg-bytes"
    client = await bot_client()
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.image("o-i", "m-1", 88))
    assert _reply_content(await resp.text())["Content"] == "图片已收到"
    assert intake.calls == [("image", "mp", "o-i", b"\xff\xd8jpeg-bytes", "mp:o-i:88")]
    (call,) = [c for c in wechat_fake.calls if c.path == "/cgi-bin/media/get"]
    assert call.query["media_id"] == "m-1" and call.query["access_token"].startswith("TOKEN-")


async def test_image_that_cannot_be_downloaded_gets_polite_retry(bot_client, intake, wechat_fake):
    client = await bot_client()
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.image("o-i", "gone", 89))
    assert "重新发送" in _reply_content(await resp.text())["Content"]
    assert intake.calls == []


async def test_subscribe_welcomes_and_unsubscribe_is_silent(bot_client, intake):
    client = await bot_client()
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.event("o-s", "subscribe"))
    assert "我要调解" in _reply_content(await resp.text())["Content"]
    resp = await client.post(
        "/wechat/mp", params=wx.signed(), data=wx.event("o-s", "unsubscribe", create_time=5)
    )
    assert await resp.text() == "success"
    assert intake.calls == [("event", "mp", "o-s", "subscribe", None)]


async def test_menu_clicks_map_to_dialog_events(bot_client, intake):
    client = await bot_client()
    for i, key in enumerate(("FQ_MEDIATE", "FQ_PROGRESS", "FQ_HUMAN", "NOPE")):
        resp = await client.post(
            "/wechat/mp", params=wx.signed(), data=wx.event("o-m", "CLICK", key, create_time=i)
        )
        assert resp.status == 200
    assert [c[3] for c in intake.calls] == ["menu_mediate", "menu_progress", "menu_human"]
    assert "菜单" in _reply_content(await resp.text())["Content"]


async def test_scene_values_carry_case_codes_to_progress(bot_client, intake):
    client = await bot_client()
    code = "FQ2406-ABCDEF-0"
    await client.post(
        "/wechat/mp",
        params=wx.signed(),
        data=wx.event("o-q", "subscribe", f"qrscene_{code}", create_time=1),
    )
    await client.post(
        "/wechat/mp", params=wx.signed(), data=wx.event("o-q", "SCAN", code, create_time=2)
    )
    assert intake.calls == [
        ("event", "mp", "o-q", "subscribe", code),
        ("event", "mp", "o-q", "menu_progress", code),
    ]


async def test_unconfigured_callback_is_503(bot_client):
    client = await bot_client(wechat_token="")
    resp = await client.get("/wechat/mp", params=wx.signed(echostr="x"))
    assert resp.status == 503


async def test_system_and_unknown_events_get_no_reply_and_do_not_collide(bot_client, intake):
    client = await bot_client()
    for i, name in enumerate(("TEMPLATESENDJOBFINISH", "weird_event", "LOCATION", "VIEW")):
        resp = await client.post(
            "/wechat/mp", params=wx.signed(), data=wx.event(f"o-sys-{i}", name, create_time=i)
        )
        assert await resp.text() == "success"
    assert intake.calls == []
    kv = client.server.app[keys.KV]
    assert len({k for k in kv.written if ":evt:o-sys-" in k}) == 4  # one ledger key each


async def test_unknown_message_kind_gets_a_polite_note(bot_client, intake):
    client = await bot_client()
    body = wx.text("o-vid", "x", 31).replace("[text]", "[shortvideo]")
    body = body.replace("<Content><![CDATA[x]]></Content>", "<MediaId><![CDATA[v]]></MediaId>")
    resp = await client.post("/wechat/mp", params=wx.signed(), data=body)
    assert "文字" in _reply_content(await resp.text())["Content"]
    assert intake.calls == []
