"""The sign-in throttle over the key-value store (embedded and Redis), and `accounts.sign_in`,
which puts it in front of the password check and audits every failure and refusal."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from fengqiao.accounts import create_user, sign_in
from fengqiao.signin import (
    ACCOUNT,
    ADDRESS,
    PAIR,
    SignInThrottle,
    ThrottleConfig,
    account_id,
    address_id,
    throttled_message,
)
from fengqiao.storage.models import AuditEntry

PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"


class Clock:
    def __init__(self, now: float = 1_000_000 * 900.0) -> None:  # at a bucket's start
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def world(services):
    await create_user(services.db, "admin", PASSWORD, "admin")
    await create_user(services.db, "li", PASSWORD, "staff")
    clock = Clock()
    throttle = SignInThrottle(services.kv, ThrottleConfig(clock=clock))
    return services, throttle, clock


async def actions(db) -> list[tuple[str, str, dict]]:
    async with db.read() as session:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.like("signin.%"))
                .order_by(AuditEntry.id)
            )
        ).all()
    return [(r.action, r.actor, r.detail) for r in rows]


async def test_five_failures_lock_the_account_from_that_address_only(world):
    services, throttle, clock = world
    for _ in range(5):
        tried = await sign_in(services.db, throttle, "admin", WRONG, "10.0.0.1")
        assert tried.user is None and tried.wait_seconds == 0
    tried = await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.1")
    assert tried.user is None and tried.wait_seconds == 900
    clock.now += 300
    tried = await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.1")
    assert tried.user is None and tried.wait_seconds == 600
    assert throttled_message(tried.wait_seconds) == "登录尝试过多，请 10 分钟后再试"
    # From another address the right password signs in: a guesser cannot lock staff out
    # (OWASP: lock on the account and the client together).
    assert (await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.2")).user
    # Another account from the same address is not locked.
    assert (await sign_in(services.db, throttle, "li", PASSWORD, "10.0.0.1")).user is not None
    # When the lock ends, the right password works and the count starts again.
    clock.now += 601
    assert (await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.1")).user is not None
    log = await actions(services.db)
    assert [a for a, _, _ in log] == ["signin.failed"] * 5 + [
        "signin.refused",
        "signin.refused",
        "signin.succeeded",
        "signin.succeeded",
        "signin.succeeded",
    ]
    failed, refused = log[4][2], log[5][2]
    assert failed == {"username": "admin", "address": "10.0.0.1", "locked": PAIR}
    assert refused == {
        "username": "admin",
        "address": "10.0.0.1",
        "locked": PAIR,
        "wait_seconds": 900,
    }
    assert log[-1][1] == "staff:admin" and log[0][1] == "anonymous"
    assert (await services.cases.verify_audit()).ok


async def test_guesses_spread_over_many_addresses_reach_the_account_ceiling(world):
    services, throttle, _ = world
    for i in range(100):  # 4 from each of 25 addresses: no address and no pair is locked
        await sign_in(services.db, throttle, "admin", WRONG, f"10.0.{i // 4}.1")
    tried = await sign_in(services.db, throttle, "admin", PASSWORD, "10.9.9.9")
    assert tried.user is None and tried.wait_seconds == 900
    assert (await actions(services.db))[-1][2]["locked"] == ACCOUNT
    assert (await sign_in(services.db, throttle, "li", PASSWORD, "10.9.9.9")).user


async def test_a_phone_number_typed_as_the_name_is_masked_in_the_audit(world):
    services, throttle, _ = world
    await sign_in(services.db, throttle, "13912345678", WRONG, "10.0.0.1")
    (failed,) = await actions(services.db)
    assert failed[2]["username"] == "139****5678"


async def test_a_success_starts_the_account_count_again(world):
    services, throttle, _ = world
    for _ in range(2):
        for _ in range(4):
            await sign_in(services.db, throttle, "admin", WRONG, "10.0.0.1")
        assert (await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.1")).user


async def test_twenty_failures_from_one_address_lock_it_for_every_account(world):
    services, throttle, _ = world
    for i in range(19):
        await sign_in(services.db, throttle, f"guess-{i}", WRONG, "10.0.0.9")
    # A good sign-in from the address in between does not wipe out the guesses at others.
    assert (await sign_in(services.db, throttle, "li", PASSWORD, "10.0.0.9")).user
    await sign_in(services.db, throttle, "guess-19", WRONG, "10.0.0.9")
    tried = await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.9")
    assert tried.user is None and tried.wait_seconds == 900
    refused = (await actions(services.db))[-1]
    assert refused[0] == "signin.refused" and refused[2]["locked"] == ADDRESS
    # Another address is not locked.
    assert (await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.10")).user


async def test_parallel_guesses_check_at_most_the_limit(world):
    services, throttle, _ = world
    tries = await asyncio.gather(
        *(sign_in(services.db, throttle, "admin", f"guess-{i:04d}", "10.0.0.1") for i in range(30))
    )
    assert all(t.user is None for t in tries)
    log = [a for a, _, _ in await actions(services.db)]
    # Each attempt is counted before its password is checked: no burst gets past the limit.
    assert log.count("signin.failed") <= 5
    assert log.count("signin.refused") >= 25
    assert sum(1 for t in tries if t.wait_seconds) >= 25


async def test_failures_on_both_sides_of_a_bucket_end_add_up(world):
    services, throttle, clock = world
    clock.now += 899  # the last second of a 15-minute bucket
    for _ in range(4):
        await sign_in(services.db, throttle, "admin", WRONG, "10.0.0.1")
    clock.now += 2  # the next bucket
    await sign_in(services.db, throttle, "admin", WRONG, "10.0.0.1")
    tried = await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.1")
    assert tried.user is None and tried.wait_seconds == 900


async def test_old_failures_leave_the_window(world):
    services, throttle, clock = world
    for _ in range(4):
        await sign_in(services.db, throttle, "admin", WRONG, "10.0.0.1")
    clock.now += 1800  # two buckets on: out of the sliding window
    for _ in range(4):
        await sign_in(services.db, throttle, "admin", WRONG, "10.0.0.1")
    assert (await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.1")).user


async def test_the_account_is_counted_by_its_name_however_typed(world):
    services, throttle, _ = world
    for name in ("admin", "Admin", " ADMIN ", "admin", "aDmin"):
        await sign_in(services.db, throttle, name, WRONG, "10.0.0.1")
    assert (await sign_in(services.db, throttle, "admin", PASSWORD, "10.0.0.1")).wait_seconds


async def test_throttle_alone_returns_decisions(services):
    clock = Clock()
    config = ThrottleConfig(account_failures=2, address_failures=3, lockout_seconds=60, clock=clock)
    throttle = SignInThrottle(services.kv, config)
    first = await throttle.attempt("x", "10.1.1.1")
    assert first.allowed and (await throttle.failed(first)).allowed
    second = await throttle.attempt("x", "10.1.1.1")
    after = await throttle.failed(second)
    assert not after.allowed and after.scope == PAIR and after.wait_seconds == 60
    refused = await throttle.attempt("x", "10.1.1.1")
    assert (refused.allowed, refused.wait_seconds, refused.scope) == (False, 60, PAIR)
    assert (await throttle.attempt("x", "10.1.1.2")).allowed  # another address
    clock.now += 59.5
    assert (await throttle.attempt("x", "10.1.1.1")).wait_seconds == 1
    clock.now += 1
    assert (await throttle.attempt("x", "10.1.1.1")).allowed


def test_addresses_and_names_as_counter_names():
    assert address_id("2001:db8::1") == address_id("2001:db8::ffff") == "2001:db8::/64"
    assert address_id("2001:db8:0:1::1") != address_id("2001:db8::1")
    assert address_id("::ffff:10.0.0.1") == address_id("10.0.0.1") == "10.0.0.1"
    assert address_id(None) == address_id("not an address") == "unknown"
    assert account_id("Admin ") == account_id("admin") != account_id("admin2")
    assert "admin" not in account_id("admin") and len(account_id("x" * 10_000)) == 32


def test_throttled_message_in_whole_minutes():
    assert throttled_message(1) == "登录尝试过多，请 1 分钟后再试"
    assert throttled_message(61) == "登录尝试过多，请 2 分钟后再试"
    assert throttled_message(900) == "登录尝试过多，请 15 分钟后再试"
