"""Tunables of the WeChat edges and fixed-window rate limits counted in the key-value store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fengqiao.storage.kv import EPHEMERAL, KeyValueStore


@dataclass(frozen=True)
class BotConfig:
    # A signed request older or newer than this is a replay (or a badly wrong clock).
    replay_window_seconds: float = 300.0
    # A resident types a few messages a minute; a script types hundreds.
    user_messages_per_minute: int = 20
    # API calls from one address (the official-account callback is exempt: all of it comes
    # from a handful of Tencent addresses).
    ip_requests_per_minute: int = 120
    wxa_session_ttl_seconds: float = 7 * 24 * 3600
    max_text_chars: int = 2000
    clock: Callable[[], float] = field(default=time.time)


async def over_limit(
    kv: KeyValueStore, key: str, limit: int, *, now: float, window: float = 60.0
) -> bool:
    """Count one hit for `key` in the current window; True once the count exceeds `limit`."""
    bucket = int(now // window)
    count = await kv.incr(f"{EPHEMERAL}rate:{key}:{bucket}", ttl=window)
    return count > limit
