"""The intake dialog end to end through IntakeService, on both backends."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from fengqiao.cases import codes
from fengqiao.dialogs import texts
from fengqiao.dialogs.intake import Session
from fengqiao.services import build_services
from fengqiao.storage.models import Case, CaseFile, Person

CODE = re.compile(r"案件编号：(FQ\d{4}-[0-9A-Z]{6}-[0-9A-Z])")
ANSWERS = {
    "phone": "13800001111",
    "applicant_phone": "13912345678",
    "amount": "1.5万元",
    "date": "上个月",
    "text": "县城关镇",
}


async def say(services, text, user="u1"):
    return await services.intake.handle_text("mp", user, text)


async def current_question(services, user="u1"):
    session = await services.intake.load("mp", user)
    return session, services.intake.intake._question(session, session.current)


async def start_case(services, description, type_name, user="u1"):
    """Consent, describe, and land on the wanted type whichever way the classifier leans."""
    turn = await say(services, "你好", user)
    assert turn.state == "consent" and "同意" in turn.reply
    turn = await say(services, "同意", user)
    assert turn.state == "describe"
    turn = await say(services, description, user)
    if turn.state == "confirm_type" and f"【{type_name}】" in turn.reply:
        turn = await say(services, "1", user)
    else:
        if turn.state == "confirm_type":
            turn = await say(services, "2", user)
        for _ in range(2):
            menu = dict(
                (name, num) for num, name in re.findall(r"^(\d+)\. (.+)$", turn.reply, re.M)
            )
            if type_name in menu:
                turn = await say(services, menu[type_name], user)
                break
            turn = await say(services, menu[texts.MORE_TYPES], user)
    assert turn.state == "asking", turn.reply
    return turn


async def answer_until_review(services, user="u1"):
    for _ in range(30):
        session, question = await current_question(services, user)
        if session.state == "review":
            return
        kind = question["kind"]
        answer = "1" if kind == "choice" else ANSWERS.get(kind, "县城关镇")
        turn = await say(services, answer, user)
        assert "没能识别" not in turn.reply and "好像不对" not in turn.reply, turn.reply
    raise AssertionError("dialog did not reach review")


async def file(services, description, type_name, user="u1"):
    await start_case(services, description, type_name, user)
    await answer_until_review(services, user)
    turn = await say(services, "提交", user)
    match = CODE.search(turn.reply)
    assert match, turn.reply
    assert turn.case_code == match.group(1) and turn.state == "filed"
    assert codes.is_valid(turn.case_code)
    return turn


async def test_happy_paths_for_several_types(services):
    cases = [
        ("老板拖欠我们三个月工资，一共一万五千元，一直拖着不给", "劳动争议"),
        ("楼上邻居家卫生间漏水，把我家天花板泡坏了，找他好几次都不管", "邻里纠纷"),
        ("朋友前年借了我五万块钱，写了借条，现在一直不还，电话也不接", "债务纠纷"),
    ]
    for i, (text, type_name) in enumerate(cases):
        turn = await file(services, text, type_name, user=f"resident-{i}")
        case = await services.cases.get(turn.case_code)
        assert case.type_name == type_name
        assert case.status == "accepted"
        assert case.description == text
        assert case.transcript and case.transcript[0]["from"] == "user"
        assert case.answers["applicant_phone"] == "13912345678"
        progress = await services.cases.progress(turn.case_code)
        assert progress["status_name"] == "受理"


async def test_amount_from_description_is_prefilled(services):
    await start_case(services, "老板拖欠我三个月工资一万五千元，一直不给", "劳动争议")
    await answer_until_review(services)
    session = await services.intake.load("mp", "u1")
    assert session.answers["amount"] == 15000
    assert "15,000元" in (await say(services, "帮助")).reply or session.state == "review"


async def test_a_date_is_kept_as_precisely_as_it_was_said(services):
    """去年 is the year before, not its 1 January: the review and the case say a year."""
    await start_case(services, "朋友去年借了我五万块钱，写了借条，现在一直不还", "债务纠纷")
    await answer_until_review(services)
    session = await services.intake.load("mp", "u1")
    year = session.transcript[0]["at"][:4]
    last_year = str(int(year) - 1)
    assert session.answers["when"] == last_year
    review = (await say(services, "帮助")).reply + session.transcript[-1]["text"]
    assert f"发生时间：{last_year}年\n" in review
    assert f"{last_year}-01-01" not in review
    turn = await say(services, "提交")
    case = await services.cases.get(turn.case_code)
    assert case.answers["when"] == last_year


async def test_invalid_answers_are_re_asked_politely(services):
    await start_case(services, "老板拖欠我三个月工资一万五千元，一直不给", "劳动争议")
    for _ in range(20):
        session, question = await current_question(services)
        if question["kind"] == "phone":
            break
        await say(services, "1" if question["kind"] == "choice" else "县城关镇")
    before = session.current
    turn = await say(services, "12345")
    assert texts.INVALID["phone"] in turn.reply
    assert (await services.intake.load("mp", "u1")).current == before
    turn = await say(services, "１３８ ００００ １１１１")  # full-width digits with spaces
    session = await services.intake.load("mp", "u1")
    assert session.answers[before] == "13800001111"


async def test_back_restart_and_cancel(services):
    await start_case(services, "楼上邻居家卫生间漏水，把我家天花板泡坏了", "邻里纠纷")
    first_q = (await current_question(services))[1]
    await say(services, "张三")
    second = (await services.intake.load("mp", "u1")).current
    assert second != first_q["key"]
    turn = await say(services, "返回")
    session = await services.intake.load("mp", "u1")
    assert session.current == first_q["key"]
    assert first_q["key"] not in session.answers
    assert first_q["prompt"] in turn.reply

    turn = await say(services, "重新开始")
    assert turn.state == "describe"
    assert (await services.intake.load("mp", "u1")).answers == {}

    turn = await say(services, "取消")
    assert turn.state == "start" and turn.reply == texts.CANCELLED
    session = await services.intake.load("mp", "u1")
    assert session.description == "" and session.answers == {}


async def test_review_edit_then_submit_twice_files_once(services):
    await start_case(services, "朋友前年借了我五万块钱，写了借条，现在一直不还", "债务纠纷")
    await answer_until_review(services)
    review = (await say(services, "帮助")).reply
    turn = await say(services, "修改2")
    assert turn.state == "editing" and "事情经过" in turn.reply
    turn = await say(services, "朋友前年借了我五万块钱，写了借条，说好去年还，现在一直不还")
    assert turn.state == "review" and "说好去年还" in turn.reply
    assert review
    first = await say(services, "提交")
    again = await say(services, "提交")
    assert first.case_code and again.case_code is None
    assert first.case_code in again.reply
    async with services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 1


async def test_nonsense_gets_a_polite_re_ask(services):
    await say(services, "你好")
    turn = await say(services, "🤔🤔")
    assert turn.state == "consent" and turn.reply == texts.CONSENT_REASK
    await say(services, "同意")
    turn = await say(services, "嗯")
    assert turn.reply == texts.DESCRIPTION_TOO_SHORT
    turn = await say(services, "帮助")
    assert "返回" in turn.reply and texts.STEP_HINTS["describe"] in turn.reply
    turn = await say(services, "人工")
    assert "0000-12345" in turn.reply


async def test_threats_get_urgent_guidance_and_a_red_case(services):
    turn = await say(services, "你好")
    await say(services, "同意")
    turn = await say(services, "他们说今晚要拿刀砍死我全家，我现在很害怕")
    assert "110" in turn.reply and "0000-12345" in turn.reply
    session = await services.intake.load("mp", "u1")
    assert session.risk == "red"


async def test_declining_consent_stores_nothing(services):
    await say(services, "你好")
    turn = await say(services, "不同意")
    assert turn.state == "start"
    async with services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0
    image = await services.intake.handle_image(
        "mp", "u1", b"\xff\xd8\xff" + b"0" * 50, source_ref="m1"
    )
    assert image.reply == texts.IMAGE_BEFORE_CONSENT
    assert not list((services.settings.data_dir / "files").rglob("*"))


async def test_image_becomes_evidence_of_the_filed_case(services):
    await start_case(services, "楼上邻居家卫生间漏水，把我家天花板泡坏了", "邻里纠纷")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    for _ in range(2):  # WeChat may deliver the same image twice
        turn = await services.intake.handle_image("mp", "u1", png, source_ref="mp:42")
        assert turn.reply == texts.IMAGE_RECEIVED
    bad = await services.intake.handle_image("mp", "u1", b"<html>", source_ref="mp:43")
    assert bad.reply == texts.IMAGE_REJECTED
    await answer_until_review(services)
    turn = await say(services, "提交")
    async with services.db.read() as session:
        files = (await session.scalars(select(CaseFile))).all()
    assert len(files) == 1 and files[0].mime == "image/png"
    case = await services.cases.get(turn.case_code)
    assert files[0].case_id == case.id


async def test_dialog_resumes_after_a_restart(settings):
    first = await build_services(settings)
    await start_case(first, "老板拖欠我三个月工资一万五千元，一直不给", "劳动争议")
    session_before = await first.intake.load("mp", "u1")
    await first.close()

    second = await build_services(settings)
    try:
        session_after = await second.intake.load("mp", "u1")
        assert session_after.state == "asking"
        assert session_after.current == session_before.current
        await answer_until_review(second)
        turn = await say(second, "提交")
        assert turn.case_code
    finally:
        await second.close()
    third = await build_services(settings)
    try:
        assert (await third.cases.get(turn.case_code)).type_code == "labor"
    finally:
        await third.close()


async def test_revisit_question_is_asked_and_answered_in_the_chat(services):
    code = (await file(services, "楼上邻居家卫生间漏水，把我家天花板泡坏了", "邻里纠纷")).case_code
    await services.cases.route(code, "staff:li")
    await services.cases.close(code, "staff:li", outcome="success", summary="已调解")

    turn = await say(services, "你好")
    assert code in turn.reply and "满意" in turn.reply  # asked after whatever was said
    turn = await say(services, "不满意，调解员一直没联系我")
    assert code in turn.reply
    assert await services.cases.pending_revisit("mp", "u1") is None
    state = await services.cases.get(code)
    assert state.status != "archived"


async def test_a_repeat_of_the_message_just_answered_gets_the_same_reply(services):
    # A worker can die after saving a turn but before WeChat got the reply; the repeat that
    # takes over must not count the same message as the resident's next answer.
    intake = services.intake
    first = await intake.handle_text("mp", "u-rep", "你好", message_key="msg:1")
    again = await intake.handle_text("mp", "u-rep", "你好", message_key="msg:1")
    assert (again.reply, again.state) == (first.reply, first.state)
    consent = await intake.handle_text("mp", "u-rep", "同意", message_key="msg:2")
    assert consent.state == "describe"
    repeat = await intake.handle_text("mp", "u-rep", "同意", message_key="msg:2")
    assert repeat.state == "describe" and repeat.reply == consent.reply


async def test_a_turn_that_fails_midway_leaves_the_stored_session(services, monkeypatch):
    # Sessions are kept decoded between turns; a turn that dies after changing its session
    # in memory must not leave that change behind for the next turn.
    await start_case(services, "楼上邻居家卫生间漏水，把我家天花板泡坏了", "邻里纠纷")
    before = await services.intake.load("mp", "u1")
    await say(services, "张三")  # a completed turn: its session is cached as saved
    saved = await services.intake.load("mp", "u1")
    await say(services, "帮助")
    intake = services.intake.intake
    real = intake._dispatch

    def dies(session, text, now):
        session.answers["where"] = "half-done"
        session.state = "review"
        raise RuntimeError("crash mid-turn")

    monkeypatch.setattr(intake, "_dispatch", dies)
    try:
        await say(services, "县城关镇")
    except RuntimeError:
        pass
    monkeypatch.setattr(intake, "_dispatch", real)
    after = await services.intake.load("mp", "u1")
    assert after.state == "asking" and after.answers.get("where") != "half-done"
    assert after.answers == saved.answers and after.current == saved.current
    assert before.current != saved.current  # the completed turn did move on


async def test_a_session_changed_by_another_worker_is_read_afresh(services):
    await say(services, "你好")
    await say(services, "同意")  # cached as saved: state describe
    key = services.intake._key("mp", "u1")
    other = await services.intake.load("mp", "u1")
    other.state = "start"
    other.consent = False
    from fengqiao.storage import jsoncodec

    await services.kv.set(key, jsoncodec.dumps(other.to_json()), ttl=60)  # another worker
    turn = await say(services, "你好")
    assert turn.state == "consent"  # it saw the other worker's session, not its cached one


async def test_an_event_that_only_reads_the_session_keeps_it_decoded(services, monkeypatch):
    # Decoding a stored session costs as much as the rest of a turn: a subscription between
    # two answers must not make the next answer decode it again.
    await start_case(services, "楼上邻居家卫生间漏水，把我家天花板泡坏了", "邻里纠纷")
    await say(services, "张三")
    turn = await services.intake.handle_event("mp", "u1", "subscribe")
    assert turn.state == "asking" and turn.reply
    decoded = []
    real = Session.from_json

    def counting(data):
        decoded.append(data)
        return real(data)

    monkeypatch.setattr(Session, "from_json", counting)
    turn = await say(services, "13800001111")
    assert turn.state == "asking" and decoded == []


async def test_the_filing_turn_waits_no_more_loop_turns_than_any_other(tmp_path):
    # Under load each turn of the event loop runs every other resident's work too (~6 ms
    # with fifty talking), so a turn that yields more often answers later: the filing turn
    # used to take five loop turns against two, and made most of the bench's slowest answers.
    # Embedded defaults only: on PostgreSQL and Redis every statement awaits the network.
    from tests.conftest import LoopTurns, make_settings

    services = await build_services(make_settings(tmp_path))
    try:
        await start_case(services, "老板拖欠我三个月工资一万五千元，一直不给", "劳动争议")
        await answer_until_review(services)
        async with LoopTurns() as loop_turns:
            before = loop_turns.count
            await say(services, "同意")  # a review re-ask: an ordinary turn that saves
            ordinary = loop_turns.count - before
            before = loop_turns.count
            turn = await say(services, "提交")
            filing = loop_turns.count - before
        assert turn.case_code
        assert filing <= ordinary, (filing, ordinary)
        assert await services.kv.get("has-filed:mp:u1") == b"1"  # saved with the session
    finally:
        await services.close()
