"""Recorded video mediation room: join tokens, signalling, waiting room, caucus, recording."""

from fengqiao.mediation_room.routes import recording_file, setup_rooms
from fengqiao.mediation_room.store import (
    ChatRecord,
    EvidenceRef,
    ParticipantRef,
    RecordedFile,
    RoomEvent,
    RoomInfo,
    RoomStatus,
    RoomStore,
)
from fengqiao.mediation_room.tokens import Role, build_join_link, issue_join_token

__all__ = [
    "ChatRecord",
    "EvidenceRef",
    "ParticipantRef",
    "RecordedFile",
    "Role",
    "RoomEvent",
    "RoomInfo",
    "RoomStatus",
    "RoomStore",
    "build_join_link",
    "issue_join_token",
    "recording_file",
    "setup_rooms",
]
