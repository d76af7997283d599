import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from fengqiao.accounts import create_user
from fengqiao.cases.scheduler import Scheduler
from fengqiao.cases.service import CaseService
from fengqiao.storage.db import Database
from fengqiao.storage.models import AuditEntry, Case, CaseDocument, OutboxMessage, utcnow
from tests.cases.helpers import resident_case
from tests.conftest import LoopTurns


async def test_two_workers_escalate_each_step_exactly_once(services, settings):
    cases = services.cases
    await create_user(
        services.db,
        "zhao",
        "a-long-password",
        "mediator",
        organisation="县劳资纠纷调解室",
        openid="staff-openid-zhao",
    )
    await create_user(services.db, "boss", "a-long-password", "leader", openid="leader-openid")
    now = utcnow()
    overdue_hours = {1: 2, 2: 30, 3: 100, 4: 100, 5: -5}  # case -> hours past its deadline
    codes = {}
    for n, hours in overdue_hours.items():
        filed = await cases.file_case(resident_case(n))
        await cases.route(filed.code, "staff:li")
        codes[n] = filed.code
        async with services.db.transaction() as session:
            await session.execute(
                update(Case)
                .where(Case.id == filed.id)
                .values(deadline_at=now - timedelta(hours=hours))
            )
    # Two workers, each with its own engine and connection pool, as two processes would have.
    second = CaseService(Database(settings.effective_database_url), settings.config_dir)
    workers = [Scheduler(cases), Scheduler(second)]
    try:
        for step in range(4):
            await asyncio.gather(*(w.tick(now + timedelta(seconds=step)) for w in workers))
    finally:
        await second.db.dispose()

    async with services.db.read() as session:
        docs = (await session.execute(select(Case.code, CaseDocument.kind).join(Case))).all()
        audits = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("supervision.%"))
            )
        ).all()
        staff_notices = (
            await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.kind == "supervision")
            )
        ).all()
    per_case = Counter(docs)
    assert all(n == 1 for n in per_case.values()), per_case
    kinds = {n: sorted(k for c, k in docs if c == code) for n, code in codes.items()}
    assert kinds == {
        1: ["reminder"],
        2: ["reminder", "warning"],
        3: ["order", "reminder", "warning"],
        4: ["order", "reminder", "warning"],
        5: [],
    }
    counts = Counter(audits)
    assert counts["supervision.reminder"] == 4
    assert counts["supervision.warning"] == 3
    assert counts["supervision.order"] == 2
    # Each document reached the mediator once; the orders reached the leader too.
    events = Counter(p["event"] for p in staff_notices)
    assert events == {"reminder": 4, "warning": 3, "order": 4}
    assert (await cases.verify_audit()).ok


async def test_overdue_tasks_are_chased_and_daily_report_issued_once(services, settings):
    cases = services.cases
    filed = await cases.file_case(resident_case(risk="yellow"))
    [task_id] = await cases.whistle(
        filed.code, "staff:li", departments=["公安局"], reason="涉及治安"
    )
    later = utcnow() + timedelta(days=40)
    second = CaseService(Database(settings.effective_database_url), settings.config_dir)
    try:
        for step in range(3):
            await asyncio.gather(
                Scheduler(cases).tick(later + timedelta(seconds=step)),
                Scheduler(second).tick(later + timedelta(seconds=step)),
            )
    finally:
        await second.db.dispose()
    async with services.db.read() as session:
        docs = (await session.scalars(select(CaseDocument.kind))).all()
    counts = Counter(docs)
    assert counts["task_reminder"] == counts["task_warning"] == counts["task_order"] == 1
    assert counts["daily_report"] == 1


async def test_monthly_sample_is_drawn_once(services):
    cases = services.cases
    for n in range(4):
        filed = await cases.file_case(resident_case(n))
        await cases.close(filed.code, "staff:li", outcome="success", summary="和解")
    month = (
        f"{utcnow().astimezone(__import__('fengqiao.cases.rules', fromlist=['x']).LOCAL_TZ):%Y-%m}"
    )
    first = await cases.sample_revisits(month, per_organisation=2, seed=1)
    again = await cases.sample_revisits(month, per_organisation=2, seed=2)
    assert len(first) == 2 and sorted(first) == sorted(again)
    call_list = await cases.revisit_sample(month)
    assert {c["code"] for c in call_list} == set(first)
    await cases.record_satisfaction(first[0], None, "满意", actor="staff:li")
    assert (await cases.revisit_sample(month))[0]["level_name"] in ("满意", "")


async def test_a_tick_lets_other_requests_run_between_its_steps(services):
    # On SQLite a step's transaction runs on the loop's thread without yielding; a tick that
    # never yielded between steps would hold every request in flight for all of them at once.
    scheduler = Scheduler(services.cases)
    seen: list[tuple[str, int]] = []
    async with LoopTurns() as loop_turns:
        for name in ("escalate_cases", "escalate_tasks", "daily_report", "monthly_sample"):
            step = getattr(scheduler, name)

            async def spy(now, step=step, name=name):  # type: ignore[no-untyped-def]
                seen.append((name, loop_turns.count))
                return await step(now)

            setattr(scheduler, name, spy)
        await scheduler.tick()
    assert [name for name, _ in seen] == [
        "escalate_cases",
        "escalate_tasks",
        "daily_report",
        "monthly_sample",
    ]
    counts = [n for _, n in seen]
    assert all(a < b for a, b in zip(counts, counts[1:])), seen
