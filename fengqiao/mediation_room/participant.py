"""One person in a live session: their socket, their media and where they stand."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from fengqiao.mediation_room import texts
from fengqiao.mediation_room.peer import ParticipantPeer
from fengqiao.mediation_room.recorder import ParticipantRecorder
from fengqiao.mediation_room.store import ParticipantRef
from fengqiao.mediation_room.tokens import SIDE_OF_ROLE, Role


@dataclass
class Participant:
    participant_id: str
    role: Role
    name: str = ""  # the person's name as the case knows it; "" if unknown
    device: str = ""
    ws: web.WebSocketResponse | None = None
    peer: ParticipantPeer | None = None
    recorder: ParticipantRecorder | None = None
    consented: bool = False
    refused: bool = False
    admitted: bool = False
    removed: bool = False
    muted: dict[str, bool] = field(default_factory=lambda: {"audio": False, "video": False})
    segments: int = 0  # media connections so far; numbers the recording segments and offers

    @property
    def side(self) -> str | None:
        return SIDE_OF_ROLE[self.role]

    @property
    def online(self) -> bool:
        return self.ws is not None and not self.ws.closed

    @property
    def state(self) -> str:
        if self.removed:
            return "removed"
        if self.refused:
            return "refused"
        if not self.online:
            return "offline"
        if not self.consented:
            return "notice"
        return "admitted" if self.admitted else "waiting"

    @property
    def role_label(self) -> str:
        return texts.ROLE_LABELS[self.role]

    @property
    def label(self) -> str:
        """What others see: "张三（申请人）", or the role alone when no name is known."""
        return f"{self.name}（{self.role_label}）" if self.name else self.role_label

    def ref(self) -> ParticipantRef:
        return ParticipantRef(self.participant_id, self.role)
