import asyncio

import pytest
from sqlalchemy import text

from fengqiao.cases.service import CaseNotFound, NewCase, PartyInfo


def new_case(**overrides):
    values = dict(
        description="老板拖欠三个月工资，电话13800001111",
        channel="mp",
        actor="mp:openid-1",
        type_code="labor",
        type_name="劳动争议",
        risk="yellow",
        applicant=PartyInfo(name="王小明", phone="13912345678", openid="openid-1", channel="mp"),
        respondent=PartyInfo(name="张老板", phone="13800001111"),
        answers={"amount": 15000},
        intake_key="intake-1",
    )
    values.update(overrides)
    return NewCase(**values)


async def test_file_case_is_idempotent_on_intake_key(services):
    first, again = await asyncio.gather(
        services.cases.file_case(new_case()), services.cases.file_case(new_case())
    )
    assert first.code == again.code
    assert {first.created, again.created} == {True, False} or first.created == again.created
    async with services.db.read() as session:
        count = await session.scalar(text("SELECT count(*) FROM cases"))
    assert count == 1


async def test_progress_has_steps_and_no_personal_data(services):
    filed = await services.cases.file_case(new_case())
    progress = await services.cases.progress(filed.code)
    assert progress["status"] == "accepted"
    assert progress["status_name"] == "受理"
    assert [s["name"] for s in progress["steps"]] == ["受理"]
    assert progress["next_deadline"]
    flat = repr(progress)
    for secret in ("王小明", "13912345678", "13800001111", "张老板", "拖欠"):
        assert secret not in flat


async def test_mistyped_code_is_not_found(services):
    filed = await services.cases.file_case(new_case())
    typo = filed.code[:-1] + ("0" if filed.code[-1] != "0" else "1")
    with pytest.raises(CaseNotFound):
        await services.cases.progress(typo)
    assert (await services.cases.progress(filed.code.lower()))["code"] == filed.code


async def test_a_resident_sees_only_their_own_cases(services):
    await services.cases.file_case(new_case())
    await services.cases.file_case(
        new_case(intake_key="intake-2", applicant=PartyInfo(openid="someone-else", channel="mp"))
    )
    mine = await services.cases.cases_of("mp", "openid-1")
    assert len(mine) == 1
    assert await services.cases.cases_of("wxa", "openid-1") == []


async def test_red_deadline_is_same_local_day(services):
    filed = await services.cases.file_case(new_case(risk="red", intake_key="r"))
    case = await services.cases.get(filed.code)
    from fengqiao.cases.service import LOCAL_TZ

    assert (case.deadline_at - case.created_at).total_seconds() < 24 * 3600
    assert (
        case.deadline_at.astimezone(LOCAL_TZ).date() == case.created_at.astimezone(LOCAL_TZ).date()
    )


async def test_audit_chain_verifies_and_detects_tampering(services):
    for i in range(3):
        await services.cases.file_case(new_case(intake_key=f"k{i}"))
    await services.cases.file_case(new_case(intake_key="k3", description="另一件纠纷"))
    report = await services.cases.verify_audit()
    assert report.ok and report.entries == 4
    async with services.db.transaction() as session:
        second = await session.scalar(text("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1"))
        await session.execute(
            text("UPDATE audit_log SET actor = 'staff:mallory' WHERE id = :id"), {"id": second}
        )
    report = await services.cases.verify_audit()
    assert not report.ok
    assert report.first_broken_id == second


async def test_deleting_an_audit_row_breaks_the_chain(services):
    for i in range(3):
        await services.cases.file_case(new_case(intake_key=f"d{i}"))
    async with services.db.transaction() as session:
        second = await session.scalar(text("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1"))
        await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second})
    report = await services.cases.verify_audit()
    assert not report.ok
    assert report.first_broken_id == second + 1


async def test_a_resident_filing_again_is_one_person_who_keeps_known_details(services):
    from datetime import UTC, datetime

    consent = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    first = await services.cases.file_case(new_case(privacy_consent_at=consent))
    second = await services.cases.file_case(
        new_case(
            intake_key="intake-2",
            applicant=PartyInfo(name="王晓明", phone=None, openid="openid-1", channel="mp"),
        )
    )
    async with services.db.read() as session:
        people = (
            await session.execute(text("SELECT id, name, phone, privacy_consent_at FROM people"))
        ).all()
        owners = (
            await session.execute(
                text("SELECT DISTINCT applicant_id FROM cases WHERE code IN (:a, :b)"),
                {"a": first.code, "b": second.code},
            )
        ).all()
    assert len(people) == 1 and [people[0][0]] == [o[0] for o in owners]
    assert people[0][1:3] == ("王晓明", "13912345678")  # new name taken, phone kept
    assert people[0][3] is not None


async def test_filing_returns_the_deadline_it_stored(services):
    filed = await services.cases.file_case(new_case())
    case = await services.cases.get(filed.code)
    assert filed.deadline_at == case.deadline_at and filed.deadline_at is not None
