import pytest
from sqlalchemy import select

from fengqiao.cases.errors import ActionRefused
from fengqiao.cases.revisit import parse_satisfaction
from fengqiao.storage.models import CaseDocument
from tests.cases.helpers import resident_case


def test_parse_satisfaction_reads_the_longest_answer_first():
    assert parse_satisfaction("满意") == ("satisfied", "")
    assert parse_satisfaction("基本满意，希望快一点") == ("basic", "希望快一点")
    assert parse_satisfaction(" 不满意 没人联系我") == ("unsatisfied", "没人联系我")
    assert parse_satisfaction("我想查进度") is None


async def closed_case(services, n=1):
    filed = await services.cases.file_case(resident_case(n))
    await services.cases.route(filed.code, "staff:li")
    await services.cases.close(filed.code, "staff:li", outcome="success", summary="已调解")
    return filed.code


async def test_resident_is_asked_after_closure_and_satisfied_ends_it(services):
    code = await closed_case(services)
    question = await services.cases.pending_revisit("mp", "openid-1")
    assert question is not None and question.code == code
    assert code in question.text and "满意" in question.text
    assert await services.cases.pending_revisit("mp", "someone-else") is None
    result = await services.cases.record_satisfaction(code, "openid-1", "满意", "谢谢")
    assert result.level == "satisfied" and not result.reopened and code in result.reply
    assert await services.cases.pending_revisit("mp", "openid-1") is None
    assert (await services.cases.get(code)).status == "feedback"
    with pytest.raises(ActionRefused):
        await services.cases.record_satisfaction(code, "openid-1", "满意")


async def test_basic_satisfaction_reopens_supervision(services):
    code = await closed_case(services)
    result = await services.cases.record_satisfaction(code, "openid-1", "基本满意", "太慢")
    assert result.reopened and "督办" in result.reply
    detail = await services.cases.case_detail(code)
    assert detail["status"] == "handling" and detail["supervised"]
    assert detail["satisfaction"] == "基本满意"
    async with services.db.read() as session:
        kinds = (await session.scalars(select(CaseDocument.kind))).all()
    assert "revisit_reopen" in kinds
    actions = [e["action"] for e in detail["timeline"]]
    assert actions[-3:] == ["revisit.answered", "case.reopen", "supervision.revisit"]
    # Back under supervision: it can be closed and archived again.
    await services.cases.close(code, "staff:li", outcome="success", summary="再次调解")
    await services.cases.archive(code, "staff:li")
    assert (await services.cases.verify_audit()).ok


async def test_only_a_party_can_answer(services):
    code = await closed_case(services)
    with pytest.raises(ActionRefused):
        await services.cases.record_satisfaction(code, "stranger", "不满意")
    with pytest.raises(ActionRefused):
        await services.cases.record_satisfaction(code, "openid-1", "还行")
