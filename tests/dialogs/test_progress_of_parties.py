""""进度" lists every case the resident is a party of: as applicant or as a respondent whose
WeChat identity the case knows, and in `fengqiao chat` right after filing there."""

from __future__ import annotations

from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.dialogs import texts
from tests.dialogs.test_intake import file, say


async def test_a_respondent_bound_by_openid_finds_the_case(services):
    filed = await services.cases.file_case(
        NewCase(
            description="邻居装修噪音很大，每天晚上十点以后还在施工",
            channel="mp",
            actor="test",
            type_code="neighbor",
            type_name="邻里纠纷",
            risk="blue",
            applicant=PartyInfo(name="张三", openid="applicant-1", channel="mp"),
            respondent=PartyInfo(name="李四", openid="respondent-1", channel="mp"),
        )
    )
    turn = await say(services, "进度", user="respondent-1")
    assert turn.reply != texts.PROGRESS_NONE
    assert filed.code in turn.reply, turn.reply
    # Their own case link comes with it, for the respondent's party.
    assert f"/h5/case/{filed.code}?t=" in turn.reply
    # Someone with no case still hears they have none.
    assert (await say(services, "进度", user="nobody")).reply == texts.PROGRESS_NONE


async def test_a_terminal_user_finds_the_case_they_just_filed(services):
    """`fengqiao chat` talks on channel cli: filing there binds that id to the person, as the
    official account binds its openid."""
    intake = services.intake
    handle, load = intake.handle_text, intake.load
    intake.handle_text = lambda _channel, user, text: handle("cli", user, text)
    intake.load = lambda _channel, user: load("cli", user)
    try:
        turn = await file(services, "老板拖欠我三个月工资一万五千元，一直不给", "劳动争议")
        assert "进度" in turn.reply
        progress = await say(services, "进度")
    finally:
        intake.handle_text, intake.load = handle, load
    assert turn.case_code in progress.reply, progress.reply
    assert f"/h5/case/{turn.case_code}?t=" in progress.reply
