"""Live sessions of this process, keyed by room id, and the sweep that ends or expires rooms.

Sessions live in memory: with several workers, route /ws/rooms/{room_id} stickily by room id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fengqiao.mediation_room.session import JoinRefused, RoomOptions, RoomSession
from fengqiao.mediation_room.store import JOIN_MARGIN, RoomInfo, RoomStatus, RoomStore
from fengqiao.mediation_room.tokens import JoinClaims

logger = logging.getLogger(__name__)

# A session everybody has left is ended (and its recording finalised) after this long.
ABANDON_AFTER = timedelta(minutes=15)


def utcnow() -> datetime:
    return datetime.now(UTC)


class RoomRegistry:
    def __init__(
        self, store: RoomStore, options: RoomOptions, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.options = options
        self.clock = clock
        self.sessions: dict[str, RoomSession] = {}
        self._lock = asyncio.Lock()

    async def session_for(self, claims: JoinClaims) -> RoomSession:
        """The live session for this room, opening it if the room and time allow."""
        async with self._lock:
            room = await self.store.get_room(claims.room_id)
            if room is None or room.case_id != claims.case_id:
                raise JoinRefused("no_room")
            if room.status is RoomStatus.ENDED:
                raise JoinRefused("room_ended")
            if room.status is RoomStatus.EXPIRED:
                raise JoinRefused("room_expired")
            now = self.clock()
            earliest, latest = room.window_for(claims.role)
            if earliest is not None and now < earliest:
                raise JoinRefused("too_early")
            if now > latest:
                raise JoinRefused("expired")
            session = self.sessions.get(room.room_id)
            if session is None:
                session = self._open(room)
                await self.store.set_room_status(room.room_id, RoomStatus.OPEN, now)
            return session

    def _open(self, room: RoomInfo) -> RoomSession:
        session = RoomSession(
            room, self.store, self.options, on_ended=lambda: self._forget(room.room_id)
        )
        self.sessions[room.room_id] = session
        return session

    def _forget(self, room_id: str) -> None:
        self.sessions.pop(room_id, None)

    async def sweep(self) -> None:
        """Expire rooms nobody joined; end sessions everyone left long ago or past their window."""
        now = self.clock()
        expired = await self.store.expire_rooms(now)
        if expired:
            logger.info("expired rooms nobody joined: %s", expired)
        for session in list(self.sessions.values()):
            anyone = any(p.online for p in session.participants.values())
            idle = time.monotonic() - session.last_seen
            past_window = now > session.room.ends_at + JOIN_MARGIN
            if not anyone and idle > ABANDON_AFTER.total_seconds():
                await session.end(reason="abandoned")
            elif not anyone and past_window:
                await session.end(reason="past_window")

    async def close_all(self) -> None:
        for session in list(self.sessions.values()):
            await session.end(reason="server_shutdown")

    async def run_sweeper(self, interval: float = 30.0) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:  # keep sweeping; one bad room must not stop expiry of others
                logger.exception("room sweep failed")
