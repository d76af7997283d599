"""Hostile or broken bodies at the callback: 400 quickly, nothing stored, server keeps serving."""

from __future__ import annotations

import time

import pytest
import xmltodict

from fengqiao import keys
from tests.bot import wx

XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>o-h</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&x;</Content>"
    "<MsgId>1</MsgId></xml>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]><xml><ToUserName>a</ToUserName><FromUserName>o-h</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content>"
    "<MsgId>2</MsgId></xml>"
)
# The refusal must not depend on the case of the keyword.
LOWER = XXE.replace("DOCTYPE", "doctype")
TOO_BIG = wx.text("o-h", "长" * 22_000, 3)  # 66 KB of UTF-8


def _without(tag: str) -> str:
    doc = xmltodict.parse(wx.text("o-h", "hi", 4))
    del doc["xml"][tag]
    return xmltodict.unparse(doc)


CASES = {
    "xxe": XXE,
    "billion laughs": LAUGHS,
    "lowercase doctype": LOWER,
    "over 64 KB": TOO_BIG,
    "not xml": "hello, this is not xml",
    "json": '{"MsgType": "text"}',
    "truncated": wx.text("o-h", "hi", 5)[:-10],
    "wrong root": wx.text("o-h", "hi", 6).replace("xml>", "doc>"),
    "empty": "",
    "no MsgType": _without("MsgType"),
    "no FromUserName": _without("FromUserName"),
    "no MsgId": _without("MsgId"),
    "no Content": _without("Content"),
    "bad CreateTime": wx.text("o-h", "hi", 7).replace("<CreateTime>", "<CreateTime>x"),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_hostile_body_is_400_and_nothing_is_stored(bot_client, intake, name):
    client = await bot_client()
    resp = await client.post("/wechat/mp", params=wx.signed(), data=CASES[name].encode())
    assert resp.status == 400
    assert intake.calls == []
    assert client.server.app[keys.KV].written == []
    # ...and the server still answers the next good message.
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-ok", "好", 8))
    assert xmltodict.parse(await resp.text())["xml"]["Content"] == "收到：好"


async def test_hostile_xml_inside_safe_mode_envelope_is_400(bot_client, intake):
    client = await bot_client(**wx.SAFE)
    body, params = wx.encrypted(XXE)
    resp = await client.post("/wechat/mp", params=params, data=body)
    assert resp.status == 400
    assert intake.calls == []


async def test_envelope_without_encrypt_is_400(bot_client, intake):
    client = await bot_client(**wx.SAFE)
    params = wx.signed(encrypt_type="aes", msg_signature="0" * 40)
    resp = await client.post("/wechat/mp", params=params, data="<xml><A>1</A></xml>")
    assert resp.status == 400


async def test_oversized_body_without_content_length_is_400(bot_client, intake):
    client = await bot_client()

    async def chunks():
        for _ in range(70):
            yield b"x" * 1024

    resp = await client.post("/wechat/mp", params=wx.signed(), data=chunks())
    assert resp.status == 400
    assert intake.calls == []


@pytest.mark.parametrize("garbage", ["AAAA", "!!!!", "QUJDRA==" * 3, "x" * 2000])
async def test_undecryptable_encrypt_is_400(bot_client, intake, garbage):
    client = await bot_client(**wx.SAFE)
    ts = str(int(time.time()))
    params = wx.signed(
        ts, "5", encrypt_type="aes", msg_signature=wx.sign(wx.TOKEN, ts, "5", garbage)
    )
    body = f"<xml><ToUserName>a</ToUserName><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"
    resp = await client.post("/wechat/mp", params=params, data=body)
    assert resp.status == 400
    assert intake.calls == []
