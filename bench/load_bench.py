"""Load with WeChat-style retries: N residents chat at once through /wechat/mp, exactly once.

Loopback only, bounded in time. Starts `fengqiao serve --workers W` on PostgreSQL + Redis
(throwaway servers of its own on free ports, unless --database-url/--redis-url are given:
those are WIPED), a fake WeChat API for the replies that come late as customer-service
messages, and a WeChat platform that resends the same MsgId when an answer takes longer
than 5 s or the connection fails, up to 3 times. A share of first deliveries (--drop-rate)
is cut off right after sending, as a broken connection would, so repeats really happen.

Each resident files one dispute through the whole intake dialog. At the end it proves:
cases in the database = residents, every resident was told exactly one code, all codes
differ, no message was lost, no reply came twice, and no answer was a 5xx. Prints
throughput and p50/p99 latency.

    python bench/load_bench.py [--residents 500] [--workers 2] [--drop-rate 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import reset_postgres, reset_redis  # noqa: E402
from tests.e2e.faults import PostgresServer, RedisServer, ServeProcess  # noqa: E402
from tests.fakes.resident import NOISE, Resident  # noqa: E402
from tests.fakes.wechat_platform import WeChatPlatform, converse  # noqa: E402
from tests.fakes.wechat_server import FakeWeChat  # noqa: E402

TOKEN = "loadbench"
APPID = "wxloadbench0000001"
SECRET = "loadbench-secret"
DESCRIPTIONS = [
    NOISE,
    "公司拖欠我三个月工资一共一万二千元，老板一直推脱不给，想申请调解。",
    "楼上卫生间漏水把我家天花板泡坏了，找他赔偿他不理，想请调解员帮忙。",
    "朋友去年借了我五万元说好半年还，现在一直拖着不还，电话也不接。",
    "物业公司收了物业费却不管小区卫生和电梯维修，业主们很有意见。",
]


def quantiles(xs: list[float]) -> tuple[float, float]:
    ms = sorted(x * 1000 for x in xs)
    if len(ms) < 2:
        return (ms[0], ms[0]) if ms else (0.0, 0.0)
    return statistics.median(ms), statistics.quantiles(ms, n=100)[98]


async def count_cases(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM cases"))
    finally:
        await conn.close()


async def run(args: argparse.Namespace, pg_url: str, redis_url: str, tmp: Path) -> bool:
    await reset_postgres(pg_url)
    await reset_redis(redis_url)
    fake = FakeWeChat(accounts={APPID: SECRET})
    server = ServeProcess(
        tmp / "var",
        workers=args.workers,
        FENGQIAO_DATABASE_URL=pg_url,
        FENGQIAO_REDIS_URL=redis_url,
        FENGQIAO_WECHAT_TOKEN=TOKEN,
        FENGQIAO_WECHAT_APPID=APPID,
        FENGQIAO_WECHAT_SECRET=SECRET,
        FENGQIAO_LOG_LEVEL="WARNING",
    )
    platform = WeChatPlatform(
        server.url, TOKEN, fake, drop_rate=args.drop_rate, late_within=args.time_limit
    )
    await fake.start()
    server.env["FENGQIAO_WECHAT_API_BASE"] = fake.base_url
    try:
        await server.start()
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as http:
            # Warm-up: each worker loads the classifier on its first dispute.
            for i in range(2 * args.workers):
                async with aiohttp.ClientSession() as fresh:
                    await converse(platform, fresh, f"o-warm-{i}", Resident())
            warm = await count_cases(pg_url)
            platform.stats.__init__()  # type: ignore[misc]  # count the measured run only
            residents = [
                Resident(description=DESCRIPTIONS[i % len(DESCRIPTIONS)])
                for i in range(args.residents)
            ]
            started = time.perf_counter()
            async with asyncio.timeout(args.time_limit):
                await asyncio.gather(
                    *(converse(platform, http, f"o-load-{i}", r) for i, r in enumerate(residents))
                )
            wall = time.perf_counter() - started
        await asyncio.sleep(1.0)  # a duplicate late reply, if any, would arrive now
        cases = await count_cases(pg_url) - warm
        log = server.log()
    finally:
        server.stop()
        await fake.close()

    s = platform.stats
    codes = [r.code for r in residents]
    told = [sum("案件编号" in reply for _, reply in r.transcript) for r in residents]
    extra = platform.undelivered()
    turns = len(s.turn_latency)
    r50, r99 = quantiles(s.request_latency)
    t50, t99 = quantiles(s.turn_latency)
    print(f"{args.residents} residents at once, {args.workers} workers, PostgreSQL + Redis, "
          f"loopback; first deliveries cut off: {args.drop_rate:.0%}")
    print(f"  wall time            {wall:8.1f} s")
    print(f"  messages (turns)     {turns:8d}   {turns / wall:8.1f} msg/s   "
          f"{args.residents / wall:6.2f} dialogs/s")
    print(f"  deliveries           {s.attempts:8d}   repeats {s.retries}, cut off {s.dropped}, "
          f"timeouts/conn errors {s.failures}")
    print(f"  HTTP statuses        {dict(s.statuses)}")
    print(f"  replies late (custom message) {s.late}, 'busy, send again' {s.busy}")
    print(f"  per delivery         p50 {r50:8.1f} ms   p99 {r99:8.1f} ms")
    print(f"  per message as seen  p50 {t50:8.1f} ms   p99 {t99:8.1f} ms   (with repeats)")
    checks = {
        "cases in database == residents": cases == args.residents,
        "every resident told exactly one code": all(n == 1 for n in told),
        "all codes distinct": None not in codes and len(set(codes)) == len(codes),
        "no message lost": s.lost == 0,
        "no reply delivered twice": not extra,
        "no 5xx": not any(status >= 500 for status in s.statuses),
        "no unhandled error logged": "unhandled error" not in log,
    }
    print(f"  cases in database    {cases}")
    for user, messages in list(extra.items())[:3]:
        transcript = next(r.transcript for i, r in enumerate(residents) if f"o-load-{i}" == user)
        print(f"  reply twice to {user}: {[m[:30] for m in messages]}; "
              f"last said {[(a[:10], b[:30]) for a, b in transcript[-3:]]}")
    for line in warnings_summary(log):
        print(f"  server log: {line}")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    ok = all(checks.values())
    print("exactly once under retries: " + ("yes" if ok else "NO"))
    return ok


def warnings_summary(log: str, top: int = 5) -> list[str]:
    """The most frequent warnings and errors the workers logged, with their counts."""
    counts: Counter[str] = Counter()
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") in ("warning", "error") and entry.get("logger") != "transitions.core":
            counts[f"{entry['level']} {entry.get('msg', '')[:80]}"] += 1
    return [f"{n} x {msg}" for msg, n in counts.most_common(top)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--drop-rate", type=float, default=0.05)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds for the run")
    parser.add_argument("--database-url", help="PostgreSQL to use (WIPED); default: own")
    parser.add_argument("--redis-url", help="Redis to use (WIPED); default: own")
    args = parser.parse_args()
    # Stopped with SIGTERM (timeout, kill): still stop the servers started below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # two sockets per resident

    tmp = Path(tempfile.mkdtemp(prefix="fq-load-"))
    tmp.chmod(0o755)  # the PostgreSQL server runs as the postgres user
    pg: PostgresServer | None = None
    redis: RedisServer | None = None
    try:
        pg_url, redis_url = args.database_url, args.redis_url
        if not pg_url:
            pg = PostgresServer(tmp / "pg")
            pg.init()
            pg.start()
            pg_url = pg.url
        if not redis_url:
            redis = RedisServer(tmp / "redis")
            redis.start()
            redis_url = redis.url
        return 0 if asyncio.run(run(args, pg_url, redis_url, tmp)) else 1
    finally:
        # (run() stops the service itself, also when it fails)
        if pg is not None and pg.running():
            pg.stop("immediate")
        if redis is not None:
            redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
