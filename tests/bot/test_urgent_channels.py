"""Probe finding #1 through the official account and the mini-program: danger told before the
privacy consent gets the emergency numbers and no promise of a call; declining repeats them."""

from __future__ import annotations

import xmltodict

from tests.bot import wx
from tests.bot.test_integration import _ids, app_client  # noqa: F401  (fixture)
from tests.bot.test_wxa_native import send, signed_in
from tests.dialogs.test_intake_urgent import SELF_HARM, THREAT, promises_nothing


async def test_official_account_before_consent(app_client):  # noqa: F811
    async def say_mp(text: str) -> str:
        resp = await app_client.post(
            "/wechat/mp", params=wx.signed(), data=wx.text("o-urgent", text, next(_ids))
        )
        return str(xmltodict.parse(await resp.text())["xml"]["Content"])

    reply = await say_mp(SELF_HARM)
    assert "12356" in reply
    promises_nothing(reply)
    reply = await say_mp("不同意")
    assert "12356" in reply and "110" in reply
    promises_nothing(reply)


async def test_mini_program_before_consent(app_client, wechat_fake):  # noqa: F811
    headers = await signed_in(app_client, wechat_fake, "wxa-urgent")
    turn = await send(app_client, headers, {"key": "description", "value": THREAT})
    assert turn["state"] == "consent" and "110" in turn["reply"]
    promises_nothing(turn["reply"])
    turn = await send(app_client, headers, {"key": "consent", "value": False})
    assert turn["state"] == "start" and "110" in turn["reply"] and "120" in turn["reply"]
    promises_nothing(turn["reply"])
