"""Demo data for the case lifecycle: staff accounts and cases at different steps of the loop.
Called by `fengqiao demo`; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from fengqiao.accounts import AccountError, create_user
from fengqiao.cases import statuses

DEMO_PASSWORD = "fengqiao-demo-2026"  # noqa: S105 - demo accounts, printed by `fengqiao demo`
# username, role, name, organisation, phone (where the mediator's and the seal keeper's
# signing codes go: with no SMS provider configured they appear in the service's log).
DEMO_USERS = [
    ("admin", "admin", "系统管理员", None, None),
    ("chuangkou", "staff", "李窗口", "县综治中心", None),
    ("tiaojie", "mediator", "赵调解", "县劳资纠纷调解室", "13800000021"),
    ("zhuren", "leader", "王主任", None, None),
    # The registry's mediator D001 (username zhangming): books, opens the room, signs.
    ("zhangming", "mediator", "张明", "县劳动争议调解室", "13800000022"),
    ("yinzhang", "seal_keeper", "孙印章", "县综治中心", "13800000023"),  # keeps its seal
]


async def add_lifecycle_demo(services: Any, codes_by_type: dict[str, str], base: str) -> dict:
    for username, role, name, org, phone in DEMO_USERS:
        try:
            await create_user(
                services.db,
                username,
                DEMO_PASSWORD,
                role,
                display_name=name,
                organisation=org,
                phone=phone,
                actor="demo",
            )
        except AccountError:
            pass  # already there from an earlier run
    cases = services.cases
    actor = "staff:chuangkou"
    labor = codes_by_type.get("labor")
    if labor and (await cases.get(labor)).status == statuses.ACCEPTED:
        await cases.route(labor, actor, assignee="tiaojie")
        await cases.whistle(labor, actor, departments=["人社局", "公安局"], reason="欠薪人数多")
    traffic = codes_by_type.get("traffic")
    if traffic and (await cases.get(traffic)).status == statuses.ACCEPTED:
        await cases.route(traffic, actor)
        await cases.close(traffic, "staff:tiaojie", outcome="success", summary="保险公司按责赔付")
    await cases.refresh_stats()
    return {
        "console_url": f"{base}/console/",
        "dashboard_url": f"{base}/dashboard/",
        "staff": [
            {"username": u, "role": r, "name": n, "phone": p} for u, r, n, _, p in DEMO_USERS
        ],
        "staff_password": DEMO_PASSWORD,
    }
