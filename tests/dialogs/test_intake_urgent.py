"""Probe finding #1: danger told before the privacy consent gets the emergency numbers and no
promise of a call (nothing is kept, nobody is alerted until the resident agrees); declining or
cancelling repeats the numbers; agreeing continues the red flow. Through IntakeService; the
official account and mini-program in tests/bot/test_urgent_channels.py."""

from __future__ import annotations

from sqlalchemy import func, select

from fengqiao.storage.models import Case, Person
from tests.dialogs.test_intake import say

SELF_HARM = "欠我的钱要不回来，我不想活了，准备跳楼"
THREAT = "他说今晚要杀了我全家"
PROMISES = ("标记为紧急", "会尽快联系", "会优先处理", "工作人员今天就会")


def promises_nothing(reply: str) -> None:
    for words in PROMISES:
        assert words not in reply, reply


async def nothing_stored(services) -> None:
    async with services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0
        assert await session.scalar(select(func.count()).select_from(Case)) == 0


async def test_self_harm_before_consent_gets_12356_and_no_promise(services):
    turn = await say(services, SELF_HARM, "h1")
    assert turn.state == "consent"
    assert "12356" in turn.reply and "110" in turn.reply and "120" in turn.reply
    promises_nothing(turn.reply)
    # Agreeing is what lets the centre follow up, and the reply says so.
    assert "同意" in turn.reply and "还没有保存" in turn.reply
    turn = await say(services, "不同意", "h1")
    assert turn.state == "start"
    assert "12356" in turn.reply and "110" in turn.reply and "120" in turn.reply
    assert "不会保存" in turn.reply
    promises_nothing(turn.reply)
    await nothing_stored(services)
    session = await services.intake.load("mp", "h1")
    assert session.urgent == "" and session.pending == ""
    # The next, harmless, resident session gets the plain notice again.
    turn = await say(services, "你好", "h1")
    assert "12356" not in turn.reply


async def test_threat_before_consent_then_cancel_repeats_110(services):
    turn = await say(services, THREAT, "h2")
    assert "110" in turn.reply and "12356" not in turn.reply
    promises_nothing(turn.reply)
    turn = await say(services, "取消", "h2")
    assert turn.state == "start"
    assert "110" in turn.reply and "120" in turn.reply
    promises_nothing(turn.reply)
    await nothing_stored(services)


async def test_danger_said_at_the_consent_step_is_answered(services):
    await say(services, "你好", "h3")
    turn = await say(services, "我不想活了，药都买好了", "h3")
    assert turn.state == "consent"
    assert "12356" in turn.reply and "同意" in turn.reply
    promises_nothing(turn.reply)
    turn = await say(services, "不同意", "h3")
    assert "12356" in turn.reply


async def test_a_plain_decline_stays_plain(services):
    await say(services, "邻居家漏水把我家天花板泡坏了", "h4")
    turn = await say(services, "不同意", "h4")
    assert "110" not in turn.reply and "不会保存" in turn.reply


async def test_agreeing_continues_the_red_flow(services):
    await say(services, SELF_HARM, "h5")
    turn = await say(services, "同意", "h5")
    assert "12356" in turn.reply and "标记为紧急" in turn.reply
    session = await services.intake.load("mp", "h5")
    assert session.risk == "red"
