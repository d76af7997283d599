"""A resident on the official account gets their own case link (cases/case_link.py) in the
filing reply and in every progress reply: a party of the case only, never someone who just
typed its code, and not in the mini-program (it has its own case space)."""

from __future__ import annotations

import re

from fengqiao.cases.case_link import CaseLinks
from fengqiao.tokens import verify_token
from tests.dialogs.test_intake import file, say

LINK = re.compile(r"/h5/case/([A-Z0-9-]+)\?t=(fq1\.[\w-]+\.[\w-]+)")


async def test_filing_and_progress_replies_carry_the_residents_case_link(services):
    turn = await file(services, "老板拖欠我三个月工资一万五千元，一直不给", "劳动争议")
    found = LINK.search(turn.reply)
    assert found and found.group(1) == turn.case_code, turn.reply
    assert "请勿转发" in turn.reply
    case = await services.cases.get(turn.case_code)
    claims = verify_token(services.settings.secret, found.group(2), "case")
    party = await services.cases.party_of(case.id, "mp", "u1")
    assert (claims.case_id, claims.party_id) == (case.id, party)

    progress = await say(services, "进度")
    again = LINK.search(progress.reply)
    assert again and again.group(1) == turn.case_code, progress.reply
    assert verify_token(services.settings.secret, again.group(2), "case").party_id == party

    # Someone else who types the code sees the public progress, without a link.
    stranger = await say(services, turn.case_code, user="u2")
    assert turn.case_code in stranger.reply and "/h5/case/" not in stranger.reply


async def test_the_mini_program_gets_no_outside_link(services):
    turn = await file(services, "老板拖欠我三个月工资一万五千元，一直不给", "劳动争议")
    case = await services.cases.get(turn.case_code)
    # The same resident's mini-program identity is another channel: no link is made there.
    link = await services.intake._case_link("wxa", "u1", case.id, case.code)
    assert link == ""
    links = CaseLinks(services.settings.secret, services.settings.public_url)
    assert links.for_party(case_id=case.id, case_code=case.code, party_id=1).startswith(
        services.settings.public_url.rstrip("/") + "/h5/case/")
