"""One million cases on PostgreSQL: how fast are the console's filtered list and the stats?

    FENGQIAO_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fengqiao_bench \\
        python bench/cases_bench.py [--cases 1000000] [--repeat 15] [--keep]

Creates the database if needed, migrates it, generates the cases in SQL with
generate_series (no row-by-row inserts), then times the real service functions
(CaseService.list_cases, CaseService.stats, CaseService.refresh_stats) and prints the figures.
The target is < 200 ms for the list and for the stats answer. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fengqiao.cases import codes  # noqa: E402
from fengqiao.cases.queries import CaseFilter  # noqa: E402
from fengqiao.cases.service import CaseService  # noqa: E402
from fengqiao.settings import CONFIG_DIR  # noqa: E402
from fengqiao.storage.db import Database  # noqa: E402
from fengqiao.storage.migrate import upgrade  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/fengqiao_bench"
TYPES = [
    ("labor", "劳动争议"), ("work_injury", "工伤赔偿"), ("marriage_family", "婚姻家庭纠纷"),
    ("neighbor", "邻里纠纷"), ("property_mgmt", "物业纠纷"), ("traffic", "交通事故纠纷"),
    ("medical", "医疗纠纷"), ("consumer", "消费纠纷"), ("debt", "债务纠纷"),
    ("contract", "合同纠纷"), ("real_estate", "房屋买卖租赁纠纷"), ("land", "土地山林权属纠纷"),
    ("demolition", "征收拆迁纠纷"), ("construction", "建设工程纠纷"),
    ("personal_injury", "人身损害纠纷"), ("campus", "校园纠纷"),
    ("collective", "集体经济与村务纠纷"),
    ("environment", "环境污染纠纷"), ("finance", "金融纠纷"), ("other", "其他纠纷"),
]  # fmt: skip
ORGS = [
    "县劳资纠纷调解室", "县婚姻家庭调解室", "县物业纠纷调解室", "县交通事故调解室",
    "县医疗纠纷调解室", "县消费纠纷调解室", "县商事调解室", "县综治中心联合接访室",
    "城关镇人民调解委员会", "县人民调解委员会", "县综治中心指挥中心", "东坝镇人民调解委员会",
]  # fmt: skip
REGIONS = ["城关镇", "东坝镇", "西河乡", "南山镇", "北湖街道", "清水乡", "石桥镇", "高新区"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "小明", "建国", "海燕"]  # fmt: skip


def sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


TYPE_CODES = sql_array([c for c, _ in TYPES])
TYPE_NAMES = sql_array([n for _, n in TYPES])
ORG_PICK = f"({sql_array(ORGS)})[1 + (g / 7) % {len(ORGS)}]"
DAYS = "CASE t.risk WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 30 END"

GENERATE = f"""
SELECT setseed(0.42);
INSERT INTO cases (id, code, status, type_code, type_name, confidence, risk, risk_reasons,
                   description, answers, transcript, channel, organisation, department, region,
                   created_at, updated_at, deadline_at, closed_at)
SELECT g,
       'FQ' || to_char(t.created AT TIME ZONE 'Asia/Shanghai', 'YYMM') || '-'
            || lpad(upper(to_hex(g)), 6, '0') || '-Z',
       t.status, ({TYPE_CODES})[t.ty], ({TYPE_NAMES})[t.ty],
       0.8, t.risk, '[]', '批量生成的测试纠纷', '{{}}', '[]',
       (ARRAY['mp','wxa','walk_in','phone'])[1 + g % 4],
       CASE WHEN t.status = 'accepted' THEN NULL ELSE {ORG_PICK} END,
       NULL, ({sql_array(REGIONS)})[1 + (g / 3) % {len(REGIONS)}],
       t.created, t.created,
       t.created + make_interval(days => {DAYS}),
       CASE WHEN t.status IN ('feedback', 'archived', 'withdrawn')
            THEN t.created + make_interval(hours => (1 + (random() * 40 * 24))::int) END
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (
  SELECT now() - make_interval(mins => (random() * 730 * 24 * 60)::int) AS created,
         1 + (g::bigint * 7919) % {len(TYPES)} AS ty,
         CASE WHEN r1 < 0.05 THEN 'red' WHEN r1 < 0.25 THEN 'yellow' ELSE 'blue' END AS risk,
         CASE WHEN r2 < 0.02 THEN 'accepted' WHEN r2 < 0.05 THEN 'routed'
              WHEN r2 < 0.13 THEN 'handling' WHEN r2 < 0.43 THEN 'feedback'
              WHEN r2 < 0.99 THEN 'archived' ELSE 'withdrawn' END AS status
  FROM (SELECT random() AS r1, random() AS r2, g AS gg) AS r
) AS t;
SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases));

INSERT INTO case_state (case_id, outcome, escalation, supervised, satisfaction, cycle_hours, month)
SELECT c.id,
       CASE WHEN c.status IN ('feedback','archived') THEN
            CASE WHEN random() < 0.75 THEN 'success' WHEN random() < 0.6 THEN 'partial'
                 ELSE 'failed' END END,
       0, false,
       CASE WHEN c.status IN ('feedback','archived') AND random() < 0.5 THEN
            CASE WHEN random() < 0.9 THEN 'satisfied' WHEN random() < 0.7 THEN 'basic'
                 ELSE 'unsatisfied' END END,
       CASE WHEN c.closed_at IS NOT NULL
            THEN extract(epoch FROM c.closed_at - c.created_at) / 3600 END,
       to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
FROM cases c;

INSERT INTO case_parties (case_id, role, name, phone)
SELECT c.id, 'applicant',
       substr('{SURNAMES}', 1 + (c.id % {len(SURNAMES)}), 1)
         || ({sql_array(GIVEN)})[1 + (c.id / {len(SURNAMES)}) % {len(GIVEN)}],
       '139' || lpad((c.id % 100000000)::text, 8, '0')
FROM cases c;
"""


async def prepare(url: str, n: int) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, name = dsn.rpartition("/")
    admin = await asyncpg.connect(base + "/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    t0 = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    print(f"migrations: {time.perf_counter() - t0:.1f} s")
    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        t0 = time.perf_counter()
        for statement in GENERATE.split(";\n"):
            if statement.strip():
                await conn.execute(statement.replace(":n", str(n)))
        print(f"generated {n:,} cases, states and parties: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        print(f"vacuum analyze: {time.perf_counter() - t0:.1f} s")
    finally:
        await conn.close()


async def timed(label: str, repeat: int, make: Any) -> float:
    await make()  # warm the pool and the plan cache
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = await make()
        samples.append((time.perf_counter() - t0) * 1000)
    median = statistics.median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    size = len(result["items"]) if isinstance(result, dict) and "items" in result else ""
    flag = "ok " if p95 < 200 else "SLOW"
    print(f"{flag} {label:<48} median {median:7.1f} ms   p95 {p95:7.1f} ms   {size}")
    return p95


async def measure(url: str, repeat: int) -> None:
    db = Database(url)
    cases = CaseService(db, CONFIG_DIR)
    try:
        # One case with a real (valid) code, so the search by code takes the real path.
        async with db.engine.begin() as conn:
            probe = codes.new_code(__import__("datetime").datetime.now())
            await conn.exec_driver_sql(
                f"UPDATE cases SET code = '{probe}' WHERE id = (SELECT max(id) / 2 FROM cases)"
            )

        t0 = time.perf_counter()
        await cases.refresh_stats()
        print(f"stats rollup rebuild (scheduler, every 5 min): {time.perf_counter() - t0:.2f} s")

        print(f"\nconsole list (CaseService.list_cases, page of 50), {repeat} runs each:")
        scenarios = {
            "no filter, newest first": CaseFilter(),
            "status = 处置": CaseFilter(status="handling"),
            "status = 受理 (rare)": CaseFilter(status="accepted"),
            "risk = red": CaseFilter(risk="red"),
            "type = medical + risk = red": CaseFilter(type_code="medical", risk="red"),
            "organisation": CaseFilter(organisation="县医疗纠纷调解室"),
            "organisation + status + risk (rare)": CaseFilter(
                organisation="县医疗纠纷调解室", status="routed", risk="red"
            ),
            "overdue": CaseFilter(overdue=True),
            "overdue + organisation": CaseFilter(overdue=True, organisation="县商事调解室"),
            "search by code": CaseFilter(q=probe),
            "search by name prefix 王伟": CaseFilter(q="王伟"),
            "deep page (before id 500000)": CaseFilter(before_id=500000),
        }
        worst = 0.0
        for label, flt in scenarios.items():
            worst = max(worst, await timed(label, repeat, lambda f=flt: cases.list_cases(f)))
        print("\nstatistics:")
        worst_stats = await timed(
            "stats() for the dashboard / GET /api/v1/stats", repeat, cases.stats
        )
        stats = await cases.stats()
        print(
            f"\n{stats['total']:,} cases, 化解率 {stats['resolution_rate']:.1%}, "
            f"满意率 {stats['satisfaction_rate']:.1%}, avg {stats['cycle_days_avg']} d, "
            f"p90 {stats['cycle_days_p90']} d, overdue {stats['overdue']['total']:,}"
        )
        print(f"worst list p95 {worst:.1f} ms; stats p95 {worst_stats:.1f} ms (target < 200 ms)")
    finally:
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="reuse the data already generated")
    args = parser.parse_args()
    url = os.environ.get("FENGQIAO_BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("FENGQIAO_DATA_DIR", tempfile.mkdtemp())
    if not args.keep:
        asyncio.run(prepare(url, args.cases))
    asyncio.run(measure(url, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
