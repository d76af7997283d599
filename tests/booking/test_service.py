from datetime import datetime, timedelta

import pytest

from fengqiao.booking.actor import Actor
from fengqiao.booking.errors import BookingError, Conflict, Forbidden, Invalid
from fengqiao.tokens import issue_token, verify_token
from tests.booking.conftest import STAFF, local


def party_actors(view):
    roles = {p["role"]: p for p in view["parties"]}
    return {r: Actor(f"party:{p['id']}", party_id=p["id"]) for r, p in roles.items()}


async def test_recommendation_ranks_with_reasons(world):
    code = await world.file("rec-labor")
    result = await world.booking.recommender.recommend(code)
    first = result["mediators"][0]
    assert first["name"] == "张明"
    assert "擅长劳动争议" in first["reasons"]
    assert any(r.startswith("最早可约") for r in first["reasons"])
    assert first["first_slot"].startswith("2026-11-23T14:00")

    tibetan = await world.booking.recommender.recommend(code, language="藏语")
    assert tibetan["mediators"][0]["name"] == "次仁"
    assert "会说藏语" in tibetan["mediators"][0]["reasons"]


async def test_recommendation_skips_mediators_at_capacity(world):
    codes = [await world.file(f"cap-{i}") for i in range(3)]
    for code in codes:
        await world.booking.flow.propose(code, world.mediators["M001"], STAFF)
    code = await world.file("cap-next")
    names = [m["name"] for m in (await world.booking.recommender.recommend(code))["mediators"]]
    assert "张明" not in names and "次仁" in names


async def test_both_parties_confirm_and_the_mediator_accepts(world):
    code = await world.file("flow")
    mediator = Actor("u:zhangming", mediator_id=world.mediators["M001"])
    view = await world.booking.flow.propose(code, world.mediators["M001"], STAFF)
    assert view["status"] == "proposed" and len(view["slots"]) == 5
    slot = view["slots"][1]
    parties = party_actors(view)

    with pytest.raises(BookingError) as err:
        await world.booking.flow.choose(
            view["id"], parties["respondent"], slot["id"], consent=False
        )
    assert err.value.code == "consent_required"

    view = await world.booking.flow.choose(
        view["id"], parties["applicant"], slot["id"], consent=True
    )
    assert view["status"] == "pending" and view["starts_at"] == slot["starts_at"]
    view = await world.booking.flow.accept(view["id"], mediator)
    assert view["status"] == "pending"
    view = await world.booking.flow.choose(
        view["id"], parties["respondent"], slot["id"], consent=True
    )
    assert view["status"] == "confirmed"
    assert all(p["confirmed"] and p["consented"] for p in view["parties"])

    reminders = [n for n in world.sink.live() if n.kind == "reminder"]
    starts = local(23, 15)  # the second offered slot: Monday 15:00 (14:00 was the first)
    assert view["starts_at"].startswith("2026-11-23T15:00")
    # 24 h before has passed already; 1 h before goes to the applicant and the mediator.
    assert {(n.openid, n.send_at) for n in reminders} == {
        ("o-flow", starts - timedelta(hours=1)),
        ("o-med-1", starts - timedelta(hours=1)),
    }
    assert (await world.services.cases.verify_audit()).ok
    progress_actions = await audit_actions(world, code)
    assert progress_actions[-4:] == [
        "booking.party_confirmed",
        "booking.accepted",
        "booking.party_confirmed",
        "booking.confirmed",
    ]


async def audit_actions(world, code):
    from sqlalchemy import select

    from fengqiao.storage.models import AuditEntry, Case

    async with world.services.db.read() as session:
        case_id = await session.scalar(select(Case.id).where(Case.code == code))
        rows = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
        )
        return list(rows.all())


async def test_reminders_a_day_ahead_and_withdrawn_on_reschedule(world):
    code = await world.file("resched")
    m = world.mediators["M001"]
    start = local(25, 9)
    view = await world.booking.flow.book(code, m, start, STAFF)
    await world.booking.flow.accept(view["id"], Actor("m", mediator_id=m))
    for actor in party_actors(view).values():
        view = await world.booking.flow.choose(
            view["id"], actor, view["slots"][0]["id"], consent=True
        )
    assert view["status"] == "confirmed"
    due = sorted({n.send_at for n in world.sink.live() if n.kind == "reminder"})
    assert due == [start - timedelta(hours=24), start - timedelta(hours=1)]

    with pytest.raises(BookingError):
        await world.booking.flow.reschedule(view["id"], party_actors(view)["respondent"], "  ")
    view = await world.booking.flow.reschedule(
        view["id"], party_actors(view)["respondent"], "那天要出差"
    )
    assert view["status"] == "proposed" and view["version"] == 2 and view["starts_at"] is None
    assert not [n for n in world.sink.live() if n.kind == "reminder"]
    assert any(p["reschedule_reason"] == "那天要出差" for p in view["parties"])
    # the old time is free again
    other = await world.file("resched-other")
    again = await world.booking.flow.book(other, m, start, STAFF)
    assert again["status"] == "pending"


async def test_no_double_booking_sequentially(world):
    m = world.mediators["M001"]
    a, b = await world.file("dbl-a"), await world.file("dbl-b")
    await world.booking.flow.book(a, m, local(24, 9), STAFF)
    with pytest.raises(Conflict) as err:
        await world.booking.flow.book(b, m, local(24, 9, 30), STAFF)
    assert err.value.code == "slot_taken"
    with pytest.raises(Conflict) as err:
        await world.booking.flow.book(b, m, local(24, 12, 30), STAFF)
    assert err.value.code == "outside_hours"
    ok = await world.booking.flow.book(b, m, local(24, 10), STAFF)
    assert ok["starts_at"].startswith("2026-11-24T10:00")


async def test_a_slot_taken_meanwhile_is_refused_when_a_party_picks_it(world):
    m = world.mediators["M001"]
    a, b = await world.file("race-a"), await world.file("race-b")
    view = await world.booking.flow.propose(a, m, STAFF)
    slot = view["slots"][0]
    await world.booking.flow.book(b, m, datetime.fromisoformat(slot["starts_at"]), STAFF)
    with pytest.raises(Conflict):
        await world.booking.flow.choose(
            view["id"], party_actors(view)["applicant"], slot["id"], consent=True
        )


async def test_decline_cancel_and_permissions(world):
    m1, m2 = world.mediators["M001"], world.mediators["M002"]
    code = await world.file("decline")
    view = await world.booking.flow.book(code, m1, local(24, 9), STAFF)
    with pytest.raises(Forbidden):
        await world.booking.flow.accept(view["id"], Actor("other", mediator_id=m2))
    view = await world.booking.flow.decline(view["id"], Actor("m", mediator_id=m1), "当天开庭")
    assert view["status"] == "declined" and view["reason"] == "当天开庭"
    view = await world.booking.flow.book(code, m2, local(24, 9), STAFF)
    with pytest.raises(BookingError):
        await world.booking.flow.cancel(view["id"], STAFF, "")
    view = await world.booking.flow.cancel(view["id"], STAFF, "双方已自行和解")
    assert view["status"] == "cancelled"
    assert any("调解已取消" in n.payload["remark"] for n in world.sink.notices)


async def test_outcome_no_show_and_subsidy(world):
    m = world.mediators["M001"]
    actor = Actor("m", mediator_id=m)
    done = []
    for key, day in (("s1", 24), ("s2", 25), ("s3", 26)):
        code = await world.file(key)
        view = await world.booking.flow.book(code, m, local(day, 9), STAFF)
        await world.booking.flow.accept(view["id"], actor)
        for p in party_actors(view).values():
            view = await world.booking.flow.choose(
                view["id"], p, view["slots"][0]["id"], consent=True
            )
        done.append(view)
    with pytest.raises(Conflict):
        await world.booking.flow.complete(done[0]["id"], actor, "agreed")  # not started yet
    world.clock.now = local(27, 9)
    await world.booking.flow.complete(done[0]["id"], actor, "agreed", "双方达成协议")
    await world.booking.flow.complete(done[1]["id"], actor, "failed")
    absent = [p["id"] for p in done[2]["parties"] if p["role"] == "respondent"]
    others = [p["id"] for p in done[1]["parties"]]
    for named in ([], others[:1], [10**9], absent + others[:1]):
        with pytest.raises(Invalid) as refused:
            await world.booking.flow.no_show(done[2]["id"], actor, named)
        assert refused.value.code == "absent_required" and "请勾选未到场的当事人" in str(
            refused.value.message
        )
    assert (await world.booking.flow.get(done[2]["id"], actor))["status"] == "confirmed"
    view = await world.booking.flow.no_show(done[2]["id"], actor, absent)
    assert view["status"] == "no_show"
    assert [p["no_show"] for p in view["parties"]] == [False, True]
    tally = await world.booking.calendars.subsidy(m, 2026)
    assert tally[10] == {"month": "2026-11", "cases": 2, "amount_yuan": 400.0}
    assert sum(t["cases"] for t in tally) == 2


async def test_party_links_are_signed(world):
    code = await world.file("link")
    view = await world.booking.flow.propose(code, world.mediators["M001"], STAFF)
    link = view["parties"][0]["link"]
    token = link.rsplit("/", 1)[1]
    seen = await world.booking.parties.view(token)
    assert seen["me"]["id"] == view["parties"][0]["id"]
    assert seen["parties"][0]["name"] == "王**"
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(Forbidden):
        await world.booking.parties.view(forged)
    other_case = issue_token(
        world.services.settings.secret, purpose="booking", case_id=999, party_id=1
    )
    with pytest.raises(BookingError):
        await world.booking.parties.view(other_case)
    expired = issue_token(
        world.services.settings.secret, purpose="booking", case_id=1, party_id=1, ttl=-1
    )
    with pytest.raises(Forbidden):
        await world.booking.parties.view(expired)
    claims = verify_token(world.services.settings.secret, token)
    signing = issue_token(
        world.services.settings.secret,
        purpose="sign",
        case_id=claims.case_id,
        party_id=claims.party_id,
    )
    with pytest.raises(Forbidden):
        await world.booking.parties.view(signing)
    with pytest.raises(Forbidden):
        await world.booking.parties.reschedule(signing, "换个时间")


def test_a_subsidy_year_outside_the_reports_range_is_refused():
    from zoneinfo import ZoneInfo

    from fengqiao.booking.reports import YEARS, year_range

    tz = ZoneInfo("Asia/Shanghai")
    start, end = year_range(2026, tz)
    assert (start.year, end.year) == (2026, 2027)
    for year in (YEARS[0] - 1, YEARS[1] + 1, 99999):
        with pytest.raises(BookingError) as err:
            year_range(year, tz)
        assert err.value.code == "bad_year"


async def test_reminders_go_through_the_case_outbox(world):
    from sqlalchemy import select

    from fengqiao.booking.notices import OutboxSink
    from fengqiao.cases.outbox import OutboxDispatcher
    from fengqiao.storage.models import OutboxMessage

    world.booking.store.sink = OutboxSink()
    m = world.mediators["M001"]
    code = await world.file("outbox")
    start = local(25, 9)
    view = await world.booking.flow.book(code, m, start, STAFF)
    await world.booking.flow.accept(view["id"], Actor("m", mediator_id=m))
    for actor in party_actors(view).values():
        view = await world.booking.flow.choose(
            view["id"], actor, view["slots"][0]["id"], consent=True
        )
    assert view["status"] == "confirmed"

    async with world.services.db.read() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        ).all()
    assert sorted((r.openid, r.next_attempt_at) for r in rows) == sorted(
        (who, start - timedelta(hours=h)) for who in ("o-outbox", "o-med-1") for h in (24, 1)
    )
    assert all(r.payload["status_name"] == "调解提醒" and r.payload["code"] == code for r in rows)

    dispatcher = OutboxDispatcher(world.services.db, None, world.services.cases.config)
    due = await dispatcher.claim(limit=50, now=start - timedelta(hours=23))
    assert {c.payload.get("status_name") for c in due if c.payload["event"] == "booking"} >= {
        "调解提醒"
    }
    assert all(
        c.payload["remark"].startswith("调解提醒")
        for c in due
        if c.payload["status_name"] == "调解提醒"
    )
    assert len([c for c in due if c.payload["status_name"] == "调解提醒"]) == 2  # 24 h only

    await world.booking.flow.cancel(view["id"], STAFF, "申请人撤回申请")
    async with world.services.db.read() as session:
        pending = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "reminder", OutboxMessage.status == "pending"
                )
            )
        ).all()
    assert pending == []  # the 1 h reminders will never go out


def test_cli_imports_the_registry(tmp_path, monkeypatch, capsys):
    from fengqiao.cli import main
    from tests.booking.conftest import DATA

    monkeypatch.setenv("FENGQIAO_DATA_DIR", str(tmp_path / "var"))
    assert main(["booking", "import", "organisations", str(DATA / "organisations.csv")]) == 0
    assert main(["booking", "import", "mediators", str(DATA / "mediators.csv")]) == 0
    assert main(["booking", "import", "mediators", str(DATA / "mediators.csv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["新增 3，更新 0", "新增 3，更新 0", "新增 0，更新 3"]


async def test_a_case_routed_to_an_organisation_prefers_its_mediators(world):
    from sqlalchemy import update

    from fengqiao.storage.models import Case

    code = await world.file("routed")
    async with world.services.db.transaction() as session:
        await session.execute(
            update(Case).where(Case.code == code).values(organisation="城关镇人民调解委员会")
        )
    first = (await world.booking.recommender.recommend(code))["mediators"][0]
    assert first["name"] == "次仁"
    assert "属于承办单位城关镇人民调解委员会" in first["reasons"]
