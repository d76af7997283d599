import pytest
from sqlalchemy import select, text

from fengqiao.cases.errors import ActionRefused
from fengqiao.cases.lifecycle import TransitionNotAllowed, allowed_actions, next_status
from fengqiao.storage.models import CaseDocument, CaseTask, OutboxMessage
from tests.cases.helpers import resident_case


def test_state_machine_allows_only_the_loop():
    assert next_status("accepted", "route") == "routed"
    assert next_status("routed", "handle") == "handling"
    assert next_status("handling", "close") == "feedback"
    assert next_status("feedback", "archive") == "archived"
    assert next_status("handling", "escalate") == "handling"
    with pytest.raises(TransitionNotAllowed):
        next_status("archived", "route")
    with pytest.raises(TransitionNotAllowed):
        next_status("accepted", "archive")
    assert "archive" in allowed_actions("feedback")
    assert "route" not in allowed_actions("feedback")


async def test_full_loop_is_audited_notified_and_visible_in_progress(services):
    cases = services.cases
    filed = await cases.file_case(resident_case())
    routed = await cases.route(filed.code, "staff:li")
    assert routed == {
        "organisation": "县劳资纠纷调解室",
        "department": "人社局劳动保障监察大队",
        "override": False,
    }
    await cases.handle(filed.code, "staff:li", assignee="mediator:zhao")
    await cases.close(filed.code, "mediator:zhao", outcome="success", summary="双方达成协议")
    await cases.archive(filed.code, "staff:li")

    progress = await cases.progress(filed.code)
    assert [s["name"] for s in progress["steps"]] == ["受理", "分流", "处置", "反馈", "归档"]
    assert progress["next_deadline"] is None

    detail = await cases.case_detail(filed.code)
    actions = [e["action"] for e in detail["timeline"]]
    assert actions == ["case.filed", "case.route", "case.handle", "case.close", "case.archive"]
    assert all(e["actor"] for e in detail["timeline"])
    assert detail["outcome_name"] == "调解成功"

    async with services.db.read() as session:
        notices = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    events = [n.payload["event"] for n in notices]
    assert events == ["routed", "handling", "feedback", "revisit", "archived"]
    assert all(n.openid == "openid-1" and n.status == "pending" for n in notices)
    assert all(filed.code in n.payload["url"] for n in notices)
    assert (await cases.verify_audit()).ok


async def test_override_needs_a_reason_and_is_recorded(services):
    filed = await services.cases.file_case(resident_case())
    with pytest.raises(ActionRefused) as info:
        await services.cases.route(filed.code, "staff:li", organisation="县人民调解委员会")
    assert info.value.code == "reason_required"
    await services.cases.route(
        filed.code, "staff:li", organisation="县人民调解委员会", reason="当事人要求就近调解"
    )
    detail = await services.cases.case_detail(filed.code)
    route = detail["timeline"][-1]
    assert route["detail"]["override"] is True
    assert route["detail"]["suggested"] == "县劳资纠纷调解室"
    assert route["detail"]["reason"] == "当事人要求就近调解"
    assert detail["organisation"] == "县人民调解委员会"


async def test_failed_mediation_needs_a_seven_step_referral(services):
    filed = await services.cases.file_case(resident_case())
    with pytest.raises(ActionRefused):
        await services.cases.close(filed.code, "staff:li", outcome="failed", summary="未达成")
    await services.cases.close(
        filed.code,
        "staff:li",
        outcome="failed",
        summary="双方分歧较大",
        referral="arbitration",
        referral_body="县劳动人事争议仲裁院",
    )
    detail = await services.cases.case_detail(filed.code)
    assert detail["referral"] == "仲裁" and detail["referral_body"] == "县劳动人事争议仲裁院"
    with pytest.raises(TransitionNotAllowed):
        await services.cases.route(filed.code, "staff:li")


async def test_whistle_creates_one_task_per_department_with_reports(services):
    filed = await services.cases.file_case(resident_case())
    ids = await services.cases.whistle(
        filed.code, "staff:li", departments=["公安局", "人社局", "公安局"], reason="涉及多部门"
    )
    assert len(ids) == 2
    again = await services.cases.whistle(
        filed.code, "staff:li", departments=["人社局", "信访局"], reason="补充"
    )
    assert len(again) == 1
    await services.cases.report_task(ids[0], "dept:公安局", "已到场调查")
    with pytest.raises(ActionRefused):
        await services.cases.report_task(ids[0], "dept:公安局", "再次报告")
    async with services.db.read() as session:
        tasks = (await session.scalars(select(CaseTask).order_by(CaseTask.id))).all()
    assert [(t.department, t.status) for t in tasks] == [
        ("公安局", "reported"),
        ("人社局", "open"),
        ("信访局", "open"),
    ]
    detail = await services.cases.case_detail(filed.code)
    assert detail["status"] == "handling"
    assert "task.reported" in [e["action"] for e in detail["timeline"]]


async def test_withdraw_and_merge(services):
    a = await services.cases.file_case(resident_case(1))
    b = await services.cases.file_case(resident_case(1, intake_key="dup"))
    c = await services.cases.file_case(resident_case(3))
    dups = await services.cases.find_duplicates(b.code)
    assert a.code in [d.code for d in dups]
    await services.cases.merge(b.code, a.code, "staff:li", "同一当事人同一事实")
    assert (await services.cases.progress(b.code))["status_name"] == "已合并"
    target = await services.cases.case_detail(a.code)
    assert target["timeline"][-1]["action"] == "case.merged_in"
    with pytest.raises(ActionRefused):
        await services.cases.withdraw(c.code, "mp:openid-3", "")
    await services.cases.withdraw(c.code, "mp:openid-3", "已自行和解")
    assert (await services.cases.get(c.code)).status == "withdrawn"
    with pytest.raises(ActionRefused):
        await services.cases.merge(a.code, c.code, "staff:li", "重复")


async def test_red_case_alerts_leaders_at_filing(services):
    filed = await services.cases.file_case(resident_case(risk="red", risk_reasons=["有极端言行"]))
    async with services.db.read() as session:
        docs = (await session.scalars(select(CaseDocument))).all()
    assert [d.kind for d in docs] == ["red_alert"]
    assert filed.code in docs[0].body and "有极端言行" in docs[0].body


async def test_editing_any_audit_row_breaks_verification(services):
    filed = await services.cases.file_case(resident_case())
    await services.cases.route(filed.code, "staff:li")
    await services.cases.handle(filed.code, "staff:li")
    assert (await services.cases.verify_audit()).ok
    async with services.db.transaction() as session:
        second = await session.scalar(text("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1"))
        await session.execute(
            text("UPDATE audit_log SET actor = 'staff:mallory' WHERE id = :id"), {"id": second}
        )
    report = await services.cases.verify_audit()
    assert not report.ok
    assert report.first_broken_id == second
