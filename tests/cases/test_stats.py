from datetime import timedelta

from fengqiao.cases.queries import CaseFilter
from fengqiao.storage.models import utcnow
from tests.cases.helpers import resident_case


async def test_stats_rates_cycle_times_and_breakdowns(services):
    cases = services.cases
    codes = []
    for n in range(5):
        filed = await cases.file_case(resident_case(n, risk="yellow" if n == 4 else "blue"))
        codes.append(filed.code)
    for code in codes[:3]:
        await cases.route(code, "staff:li")
    await cases.close(codes[0], "s", outcome="success", summary="好")
    await cases.close(codes[1], "s", outcome="partial", summary="部分")
    await cases.close(
        codes[2],
        "s",
        outcome="failed",
        summary="不成",
        referral="litigation",
        referral_body="县人民法院",
    )
    await cases.record_satisfaction(codes[0], "openid-0", "满意")
    await cases.record_satisfaction(codes[1], "openid-1", "不满意")
    await cases.refresh_stats(now=utcnow() + timedelta(days=3))
    stats = await cases.stats()
    assert stats["total"] == 5 and stats["closed"] == 3
    assert stats["resolution_rate"] == round(2 / 3, 4)
    assert stats["satisfaction_rate"] == 0.5
    assert stats["cycle_days_p90"] == 1 and stats["cycle_days_avg"] is not None
    assert {r["key"]: r["total"] for r in stats["by_type"]} == {"劳动争议": 5}
    assert {r["key"] for r in stats["by_risk"]} == {"blue", "yellow"}
    assert sum(r["total"] for r in stats["by_organisation"]) == 5
    assert len(stats["by_month"]) == 1 and stats["by_region"][0]["key"] == "城关镇"
    # Three days on, the yellow case (one-day limit) is overdue.
    assert stats["overdue"]["by_risk"].get("yellow") == 1


async def test_console_list_filters_and_masks(services):
    cases = services.cases
    a = await cases.file_case(resident_case(1))
    b = await cases.file_case(
        resident_case(2, risk="red", type_code="neighbor", type_name="邻里纠纷")
    )
    await cases.route(a.code, "staff:li")
    page = await cases.list_cases(CaseFilter())
    assert [i["code"] for i in page["items"]] == [b.code, a.code]
    assert page["items"][0]["applicant"] == "王**"
    assert "王小明" not in repr(page)
    assert [i["code"] for i in (await cases.list_cases(CaseFilter(risk="red")))["items"]] == [
        b.code
    ]
    assert [i["code"] for i in (await cases.list_cases(CaseFilter(status="routed")))["items"]] == [
        a.code
    ]
    assert (await cases.list_cases(CaseFilter(organisation="县劳资纠纷调解室")))["items"][0][
        "code"
    ] == a.code
    assert [i["code"] for i in (await cases.list_cases(CaseFilter(q=a.code.lower())))["items"]] == [
        a.code
    ]
    by_name = await cases.list_cases(CaseFilter(q="王小"))
    assert len(by_name["items"]) == 2
    overdue = await cases.list_cases(CaseFilter(overdue=True), now=utcnow() + timedelta(days=2))
    assert [i["code"] for i in overdue["items"]] == [b.code]
    first = await cases.list_cases(CaseFilter(limit=1))
    assert first["next_before_id"] is not None
    second = await cases.list_cases(CaseFilter(limit=1, before_id=first["next_before_id"]))
    assert second["items"][0]["code"] == a.code and second["next_before_id"] is None
