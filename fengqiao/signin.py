"""Sign-in throttle: per account and client address, shared by all workers.

Following OWASP's Authentication Cheat Sheet (account lockout keyed on the account *and* the
client, so that nobody can lock a user out from elsewhere), three counters:

- `account_failures` (5) failed sign-ins of one account *from one address* (`PAIR`) lock that
  account for that address only: the right password from another address still signs in;
- `address_failures` (20) failures from one address, whatever the accounts, lock the address
  (one host guessing many names);
- `account_ceiling` (100) failures of one account from all addresses together lock the
  account everywhere: the ceiling against guessing spread over many addresses, high enough
  that a single address (stopped at 20) cannot reach it.

Within `window_seconds`, reaching a limit locks for `lockout_seconds`: every attempt under
the lock is refused with the time left, the right password included, and without checking
it. When the lock ends the count starts again.

Counts live in the key-value store (Redis with several workers), so the limit holds across
workers. Each attempt is counted *before* its password is checked, as if it were going to
fail, and taken back when it succeeds: checked after, a burst of parallel guesses would all
pass the check before the first failure was written. Counts are kept per window-long bucket,
and the previous bucket's weighs by how much of it the sliding window still covers, so that
failures on both sides of a bucket's end add up. A success clears its account-and-address
count; it does not clear the address's or the account's ceiling (one good account must not
wipe out guesses at others, nor one good sign-in guesses from elsewhere), it only takes its
own attempt back. An IPv6 client counts by its /64, which one host usually holds.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fengqiao.storage.kv import EPHEMERAL, KeyValueStore

PAIR = "account_address"  # one account from one address
ACCOUNT = "account"  # one account from every address (the ceiling)
ADDRESS = "address"
_PREFIX = f"{EPHEMERAL}signin"

THROTTLED = "登录尝试过多，请 {minutes} 分钟后再试"


def throttled_message(wait_seconds: int) -> str:
    """The Chinese message for a refused attempt, in whole minutes rounded up."""
    return THROTTLED.format(minutes=max(1, math.ceil(wait_seconds / 60)))


@dataclass(frozen=True)
class ThrottleConfig:
    account_failures: int = 5  # per account and address
    address_failures: int = 20
    account_ceiling: int = 100  # per account, all addresses together
    window_seconds: float = 15 * 60
    lockout_seconds: float = 15 * 60
    clock: Callable[[], float] = field(default=time.time)

    def limit(self, scope: str) -> int:
        return {PAIR: self.account_failures, ACCOUNT: self.account_ceiling}.get(
            scope, self.address_failures)


@dataclass(frozen=True)
class Decision:
    """Whether an attempt may check its password; if not, how long until it may."""

    allowed: bool
    wait_seconds: int = 0
    scope: str | None = None  # what is locked: PAIR, ACCOUNT or ADDRESS
    # Which counters the attempt went into, for `failed` and `succeeded`.
    subjects: tuple[tuple[str, str], ...] = ()
    bucket: int = 0


def account_id(username: str) -> str:
    """The account's counter name: a digest, so no typed text becomes part of a key."""
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


def address_id(address: str | None) -> str:
    """The client's counter name: the address, an IPv6 one cut to its /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class SignInThrottle:
    def __init__(self, kv: KeyValueStore, config: ThrottleConfig | None = None) -> None:
        self.kv = kv
        self.config = config or ThrottleConfig()

    # -- keys --------------------------------------------------------------------------------

    def _lock_key(self, scope: str, ident: str) -> str:
        return f"{_PREFIX}:lock:{scope}:{ident}"

    def _count_keys(self, scope: str, ident: str, bucket: int) -> tuple[str, str]:
        """The attempts and the successes counted in `bucket`."""
        base = f"{_PREFIX}:{scope}:{ident}:{bucket}"
        return f"{base}:n", f"{base}:ok"

    # -- the three calls ---------------------------------------------------------------------

    async def attempt(self, username: str, address: str | None) -> Decision:
        """Count an attempt about to check its password, or refuse it."""
        now = self.config.clock()
        account, client = account_id(username), address_id(address)
        subjects = ((PAIR, f"{account}:{client}"), (ACCOUNT, account), (ADDRESS, client))
        waits = [(await self._locked_for(scope, ident, now), scope) for scope, ident in subjects]
        wait, scope = max(waits)
        if wait > 0:
            return Decision(False, wait, scope, subjects)
        bucket = self._bucket(now)
        over: list[str] = []
        for scope, ident in subjects:
            attempts_key, _ = self._count_keys(scope, ident, bucket)
            counted = await self.kv.incr(attempts_key, ttl=2 * self.config.window_seconds)
            if await self._failures(scope, ident, now, counted) > self.config.limit(scope):
                over.append(scope)
        if over:
            # More attempts ran at once than the limit allows: this one is past it.
            for scope, ident in subjects:
                if scope in over:
                    await self._lock(scope, ident, now)
            return Decision(False, self._lockout(), over[0], subjects)
        return Decision(True, 0, None, subjects, bucket)

    async def failed(self, decision: Decision) -> Decision:
        """The attempt's password was wrong: lock what reached its limit. Returns what the next
        attempt will be told (`allowed` False when this failure locked something)."""
        now = self.config.clock()
        locked: list[str] = []
        for scope, ident in decision.subjects:
            if await self._failures(scope, ident, now) >= self.config.limit(scope):
                await self._lock(scope, ident, now)
                locked.append(scope)
        if locked:
            return Decision(False, self._lockout(), locked[0], decision.subjects)
        return Decision(True, 0, None, decision.subjects)

    async def succeeded(self, decision: Decision) -> None:
        """The attempt signed in: the account's count from this address starts again; the
        address and the account's ceiling only get this attempt back."""
        for scope, ident in decision.subjects:
            if scope == PAIR:
                await self._clear(scope, ident, decision.bucket)
            else:
                _, successes_key = self._count_keys(scope, ident, decision.bucket)
                await self.kv.incr(successes_key, ttl=2 * self.config.window_seconds)

    # -- counting ----------------------------------------------------------------------------

    def _bucket(self, now: float) -> int:
        return int(now // self.config.window_seconds)

    def _lockout(self) -> int:
        return math.ceil(self.config.lockout_seconds)

    async def _count(self, key: str) -> int:
        value = await self.kv.get(key)
        return int(value) if value else 0

    async def _failures(
        self, scope: str, ident: str, now: float, attempts: int | None = None
    ) -> int:
        """Failures (attempts not taken back) in the sliding window ending `now`."""
        bucket = self._bucket(now)
        attempts_key, successes_key = self._count_keys(scope, ident, bucket)
        if attempts is None:
            attempts = await self._count(attempts_key)
        current = attempts - await self._count(successes_key)
        before_n, before_ok = self._count_keys(scope, ident, bucket - 1)
        before = await self._count(before_n) - await self._count(before_ok)
        covered = 1.0 - (now / self.config.window_seconds - bucket)
        # Rounded up: a failure the estimate half-counts may be inside the window.
        return math.ceil(max(current, 0) + max(before, 0) * covered - 1e-9)

    async def _locked_for(self, scope: str, ident: str, now: float) -> int:
        until = await self.kv.get(self._lock_key(scope, ident))
        if until is None:
            return 0
        return max(0, math.ceil(float(until) - now))

    async def _lock(self, scope: str, ident: str, now: float) -> None:
        lockout = self.config.lockout_seconds
        await self.kv.set(self._lock_key(scope, ident), repr(now + lockout), ttl=lockout)
        # The lock holds the line now; when it ends, the count starts again.
        await self._clear(scope, ident, self._bucket(now))

    async def _clear(self, scope: str, ident: str, bucket: int) -> None:
        for b in (bucket, bucket - 1, bucket + 1):
            for key in self._count_keys(scope, ident, b):
                await self.kv.delete(key)
