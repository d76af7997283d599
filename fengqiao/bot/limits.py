"""Tunables of the WeChat edges; the rate limit they count with is storage.ratelimit's."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fengqiao.storage.ratelimit import over_limit


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


__all__ = ["BotConfig", "over_limit"]
