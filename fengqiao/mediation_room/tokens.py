"""Signed, expiring join tokens: one per participant, bound to a case, a room and a role.

Made by the platform's one signer (fengqiao/tokens.py) for the purpose "room", keyed by the
service's FENGQIAO_SECRET_KEY.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote

from fengqiao.tokens import TokenError as PlatformTokenError
from fengqiao.tokens import is_token, signer_for


class Role(StrEnum):
    MEDIATOR = "mediator"
    PARTY_A = "party_a"
    PARTY_B = "party_b"
    AGENT_A = "agent_a"  # agent or lawyer acting for party A
    AGENT_B = "agent_b"
    INTERPRETER = "interpreter"
    OBSERVER = "observer"


# Which side of the dispute a role sits on; caucus (背靠背调解) splits the room by side.
SIDE_OF_ROLE: dict[Role, str | None] = {
    Role.MEDIATOR: None,
    Role.PARTY_A: "a",
    Role.AGENT_A: "a",
    Role.PARTY_B: "b",
    Role.AGENT_B: "b",
    Role.INTERPRETER: None,
    Role.OBSERVER: None,
}


class TokenError(Exception):
    """The token is malformed, forged, expired or for another room. ``code`` is stable."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class JoinClaims:
    room_id: str
    case_id: str
    role: Role
    participant_id: str
    not_before: datetime
    not_after: datetime


# The platform's one signer (fengqiao/tokens.py) makes these tokens, for the purpose "room":
# a join link can open nothing but its room.
_CODES = {"bad_token": "bad_signature", "wrong_purpose": "bad_signature"}


def issue_join_token(
    secret: bytes,
    room_id: str,
    case_id: str,
    role: Role | str,
    participant_id: str,
    not_before: datetime,
    not_after: datetime,
) -> str:
    """Return a join token valid from ``not_before`` to ``not_after`` (aware datetimes)."""
    return signer_for(secret).issue(
        "room",
        case_id=int(case_id) if case_id.isdigit() else None,
        subject=participant_id,
        not_before=not_before.timestamp(),
        expires_at=not_after.timestamp(),
        room=room_id,
        case=case_id,
        role=Role(role).value,
    )


def verify_join_token(secret: bytes, token: str, room_id: str, now: datetime) -> JoinClaims:
    """Check signature, room and validity period; raise TokenError otherwise."""
    if not is_token(token) or token.count(".") != 2:
        raise TokenError("malformed")
    try:
        claims = signer_for(secret).verify(token, "room", now=now.timestamp())
    except PlatformTokenError as exc:
        raise TokenError(_CODES.get(exc.code, exc.code)) from None
    try:
        join = JoinClaims(
            room_id=str(claims.extra["room"]),
            case_id=str(claims.extra["case"]),
            role=Role(claims.extra["role"]),
            participant_id=claims.subject,
            not_before=datetime.fromtimestamp(claims.not_before, UTC),
            not_after=datetime.fromtimestamp(claims.expires_at, UTC),
        )
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed") from None
    if join.room_id != room_id:
        raise TokenError("wrong_room")
    return join


def build_join_link(public_url: str, room_id: str, token: str) -> str:
    """The link sent to a participant (by WeChat message, SMS or the console)."""
    return f"{public_url.rstrip('/')}/h5/room/{quote(room_id, safe='')}?t={quote(token, safe='')}"
