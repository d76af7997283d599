"""Issue #21 point 4: the dialog keeps what the resident said and never asks it twice."""

from __future__ import annotations

import re

from fengqiao.dialogs import texts
from tests.dialogs.test_intake import answer_until_review, current_question, say, start_case

CODE = re.compile(r"案件编号：(FQ\d{4}-[0-9A-Z]{6}-[0-9A-Z])")


async def test_the_first_message_is_kept_through_consent(services):
    turn = await say(services, "老板拖欠我三个月工资一万五", "k1")
    assert turn.state == "consent"
    turn = await say(services, "同意", "k1")
    assert "老板拖欠我三个月工资一万五" in turn.reply
    assert texts.ASK_DESCRIPTION not in turn.reply
    assert turn.state in ("confirm_type", "choose_type")
    session = await services.intake.load("mp", "k1")
    assert session.description == "老板拖欠我三个月工资一万五"
    assert session.answers.get("amount") == 15000
    assert session.transcript[0]["text"] == "老板拖欠我三个月工资一万五"


async def test_a_greeting_is_not_taken_for_a_description(services):
    await say(services, "你好", "k2")
    turn = await say(services, "同意", "k2")
    assert turn.state == "describe" and texts.ASK_DESCRIPTION in turn.reply


async def test_declining_forgets_the_first_message(services):
    await say(services, "邻居家漏水把我家天花板泡坏了", "k3")
    await say(services, "不同意", "k3")
    session = await services.intake.load("mp", "k3")
    assert session.pending == "" and session.transcript == []


async def test_no_stays_no_and_a_phone_is_never_a_name(services):
    await start_case(services, "邻居家装修把我家墙弄裂了，找他修他不理", "邻里纠纷", "k4")
    session, question = await current_question(services, "k4")
    assert question["key"] == "other_party_name"
    turn = await say(services, "13812345678", "k4")
    assert "姓名" in turn.reply
    session, question = await current_question(services, "k4")
    assert question["key"] == "other_party_name"
    assert session.answers["other_party_phone"] == "13812345678"
    turn = await say(services, "王大海", "k4")
    session, question = await current_question(services, "k4")
    assert session.answers["other_party_name"] == "王大海"
    assert question["key"] != "other_party_phone"  # given with the name: never asked
    if question["key"] == "when":
        await say(services, "上礼拜", "k4")
        session, question = await current_question(services, "k4")
        assert re.fullmatch(r"\d{4}-W\d{2}", session.answers["when"])
    assert question["key"] == "where"
    await say(services, "没有", "k4")
    session, _ = await current_question(services, "k4")
    assert session.answers["where"] == "没有"


async def test_phone_with_dashes_is_accepted(services):
    await start_case(services, "邻居家装修把我家墙弄裂了，找他修他不理", "邻里纠纷", "k5")
    await say(services, "王大海", "k5")
    turn = await say(services, "138-1234-5678", "k5")
    assert "好像不对" not in turn.reply
    session, _ = await current_question(services, "k5")
    assert session.answers["other_party_phone"] == "13812345678"


async def test_traditional_commands_and_type_names(services):
    await start_case(services, "邻居家装修把我家墙弄裂了，找他修他不理", "邻里纠纷", "k6")
    turn = await say(services, "重新開始", "k6")
    assert turn.state == "describe"
    await say(services, "我想反映一件事情，说来话长", "k6")
    session = await services.intake.load("mp", "k6")
    if session.state == "confirm_type":
        await say(services, "2", "k6")
    turn = await say(services, "邻里", "k6")
    assert turn.state == "asking", turn.reply
    session = await services.intake.load("mp", "k6")
    assert session.type == "neighbor"


async def test_village_affairs_ask_where_once(services):
    await start_case(services, "村干部的亲戚分红比我们多，村务也不公开", "集体经济与村务纠纷", "k7")
    asked = []
    for _ in range(20):
        session, question = await current_question(services, "k7")
        if session.state == "review":
            break
        asked.append(question["prompt"])
        kind = question["kind"]
        await say(services, "1" if kind == "choice" else
                  {"phone": "13800001111", "applicant_phone": "13912345678",
                   "amount": "3000元", "date": "上个月"}.get(kind, "城关镇东村"), "k7")
    assert sum("哪个村" in p or "在哪里" in p for p in asked) == 1, asked


async def test_blue_case_is_told_the_real_next_step(services):
    await start_case(services, "楼上空调滴水滴到我家窗台，说了几次不改", "邻里纠纷", "k8")
    await answer_until_review(services, "k8")
    turn = await say(services, "提交", "k8")
    assert CODE.search(turn.reply)
    assert "调解员" in turn.reply and "办理时限" in turn.reply
    assert "前联系您" not in turn.reply


async def test_self_harm_gets_12356_at_once(services):
    turn = await say(services, "网贷还不上了，我真的不想活了，药都买好了", "k9")
    assert "12356" in turn.reply and "110" in turn.reply and "120" in turn.reply
    turn = await say(services, "同意", "k9")
    session = await services.intake.load("mp", "k9")
    assert session.risk == "red"
