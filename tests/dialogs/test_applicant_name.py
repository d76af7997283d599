"""Probe finding #11: 不知道, 不清楚, 没有, 不告诉你, 匿名 … are not the applicant's name. The name
goes on the case, the mediator's call and the agreement, so the dialog asks again politely (a
surname with 先生/女士 is enough) instead of filing a case for "不知道"."""

from __future__ import annotations

import pytest

from fengqiao.dialogs import texts, validators
from tests.dialogs.test_intake import current_question, say, start_case

NON_NAMES = ["不知道", "不清楚", "没有", "不告诉你", "匿名", "我想匿名", "保密", "不想说。",
             "不告訴你", "无可奉告"]
NAMES = ["王女士", "张三", "老李", "无锡王先生", "李没有", "包青天", "刘进", "高确"]
# Probe2 #7: the dialog's own words are replies to it, not a name ("您的称呼：确认").
COMMANDS = ["确认", "确认。", "同意", "取消", "重新开始", "进度", "返回", "上一步", "是", "否",
            "好的", "对", "不对", "提交", "帮助", "人工", "修改", "修改2"]


@pytest.mark.parametrize("answer", NON_NAMES)
def test_non_answers_are_not_names(answer):
    simplified = answer.replace("訴", "诉")  # the dialog simplifies Traditional input first
    assert validators.is_not_a_name(validators.bare(simplified))


@pytest.mark.parametrize("answer", COMMANDS)
def test_command_words_are_not_names(answer):
    assert validators.is_not_a_name(validators.bare(answer))


@pytest.mark.parametrize("answer", NAMES)
def test_names_are_names(answer):
    assert not validators.is_not_a_name(validators.bare(answer))


async def walk_to_applicant_name(services, user):
    await start_case(services, "楼上邻居家卫生间漏水，把我家天花板泡坏了", "邻里纠纷", user)
    for _ in range(20):
        session, question = await current_question(services, user)
        if question["key"] == "applicant_name":
            return
        await say(services, "1" if question["kind"] == "choice" else "不知道", user)
    raise AssertionError("never asked for the applicant's name")


async def test_dialog_asks_again_for_a_non_name_then_takes_a_surname(services):
    await walk_to_applicant_name(services, "n1")
    for answer in ("不知道", "不告诉你", "匿名"):
        turn = await say(services, answer, "n1")
        assert "王女士" in turn.reply and "取消" in turn.reply, turn.reply
        session, question = await current_question(services, "n1")
        assert question["key"] == "applicant_name"
        assert "applicant_name" not in session.answers
    await say(services, "王女士", "n1")
    session, question = await current_question(services, "n1")
    assert session.answers["applicant_name"] == "王女士"
    assert question["key"] == "applicant_phone"


async def test_editing_the_name_on_review_refuses_a_non_name(services):
    await walk_to_applicant_name(services, "n2")
    await say(services, "张三", "n2")
    await say(services, "13912345678", "n2")
    session, _ = await current_question(services, "n2")
    assert session.state == "review"
    number = [key for key, _ in services.intake.intake._review_items(session)].index(
        "applicant_name") + 1
    await say(services, f"修改{number}", "n2")
    turn = await say(services, "不清楚", "n2")
    assert texts.APPLICANT_NAME_REQUIRED.split("，")[0] in turn.reply
    session, _ = await current_question(services, "n2")
    assert session.state == "editing" and session.answers["applicant_name"] == "张三"


async def test_dialog_asks_again_for_a_command_word_in_either_script(services):
    await walk_to_applicant_name(services, "n3")
    for answer in ("确认", "確認", "好的", "對"):
        turn = await say(services, answer, "n3")
        assert "王女士" in turn.reply, (answer, turn.reply)
        session, question = await current_question(services, "n3")
        assert question["key"] == "applicant_name" and "applicant_name" not in session.answers
    await say(services, "刘女士", "n3")
    session, _ = await current_question(services, "n3")
    assert session.answers["applicant_name"] == "刘女士"
