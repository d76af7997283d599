"""Fixed-window rate limits counted in the key-value store, shared by every worker."""

from __future__ import annotations

from fengqiao.storage.kv import EPHEMERAL, KeyValueStore


async def over_limit(
    kv: KeyValueStore, key: str, limit: int, *, now: float, window: float = 60.0
) -> bool:
    """Count one hit for `key` in the current window; True once the count exceeds `limit`."""
    bucket = int(now // window)
    count = await kv.incr(f"{EPHEMERAL}rate:{key}:{bucket}", ttl=window)
    return count > limit
