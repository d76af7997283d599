"""The mediator's controls over a live session: admit, remove and let back in, send back to
the waiting room, ask to mute, caucus (背靠背调解). Each one can be undone by another."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fengqiao.mediation_room import texts
from fengqiao.mediation_room.participant import Participant
from fengqiao.mediation_room.tokens import Role


class SessionControls:
    """Mixed into RoomSession, which provides the state and the helpers declared here."""

    participants: dict[str, Participant]
    caucus_side: str | None
    caucus_since: float | None

    if TYPE_CHECKING:

        async def _event(
            self, kind: str, participant_id: str | None = None, **detail: Any
        ) -> None: ...
        async def _send(self, p: Participant, message: dict[str, Any]) -> None: ...
        async def _start_media(self, p: Participant) -> None: ...
        async def _stop_media(self, p: Participant) -> None: ...
        def _refresh_routing(self) -> None: ...
        def group_of(self, p: Participant) -> str: ...
        async def broadcast_roster(self) -> None: ...

    def _target(self, participant_id: Any) -> Participant | None:
        p = self.participants.get(str(participant_id))
        return None if p is None or p.role is Role.MEDIATOR else p

    async def admit(self, participant_id: str) -> None:
        p = self._target(participant_id)
        if p is None or p.removed or p.refused or p.admitted:
            return
        p.admitted = True
        await self._event("admitted", p.participant_id)
        if p.consented:
            await self._start_media(p)
        await self.broadcast_roster()

    async def remove(self, participant_id: str) -> None:
        """Out of the room, but still connected: ``readmit`` undoes it."""
        p = self._target(participant_id)
        if p is None or p.removed:
            return
        p.removed, p.admitted = True, False
        await self._event("removed", p.participant_id, reason=texts.EVENT_REASONS["removed"])
        await self._send(p, {"type": "removed", "message": texts.REMOVED_WAIT})
        await self._stop_media(p)
        await self.broadcast_roster()

    async def readmit(self, participant_id: str) -> None:
        p = self._target(participant_id)
        if p is None or not p.removed:
            return
        p.removed, p.admitted = False, True
        await self._event("readmitted", p.participant_id, reason=texts.EVENT_REASONS["readmitted"])
        await self._send(p, {"type": "readmitted", "text": texts.READMITTED})
        if p.consented:
            await self._start_media(p)
        else:
            await self._send(p, {"type": "notice", "text": texts.RECORDING_NOTICE})
        await self.broadcast_roster()

    async def send_to_waiting(self, participant_id: str) -> None:
        p = self._target(participant_id)
        if p is None or p.removed or not p.admitted:
            return
        p.admitted = False
        await self._event(
            "sent_to_waiting", p.participant_id, reason=texts.EVENT_REASONS["sent_to_waiting"]
        )
        await self._stop_media(p)
        await self._send(p, {"type": "waiting", "text": texts.SENT_TO_WAITING})
        await self.broadcast_roster()

    async def mute_request(self, participant_id: str) -> None:
        p = self._target(participant_id)
        if p is not None:
            await self._event("mute_requested", p.participant_id)
            await self._send(p, {"type": "mute_request", "text": texts.MUTE_REQUEST})

    async def set_caucus(self, side: str | None) -> None:
        if side not in ("a", "b", None) or side == self.caucus_side:
            return
        self.caucus_side = side
        self.caucus_since = time.monotonic() if side else None
        await self._event("caucus_start" if side else "caucus_end", side=side)
        self._refresh_routing()
        for p in self.participants.values():
            if side is None:
                text = texts.CAUCUS_ENDED
            elif self.group_of(p) == "caucus":
                text = texts.CAUCUS_STARTED_WITH_YOU
            else:
                text = texts.CAUCUS_STARTED_OTHER_SIDE
            await self._send(p, {"type": "caucus", "side": side, "text": text})
        await self.broadcast_roster()
