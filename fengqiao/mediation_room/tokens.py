"""Signed, expiring join tokens: one per participant, bound to a case, a room and a role.

Format: ``base64url(json claims) "." base64url(HMAC-SHA256(secret, first part))``. No
dependency beyond the standard library; the secret is the service's FENGQIAO_SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote


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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    # A purpose prefix keeps these signatures from being valid for any other use of the key.
    return _b64(hmac.new(secret, b"fengqiao-room-join:" + body.encode(), hashlib.sha256).digest())


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
    claims = {
        "v": 1,
        "room": room_id,
        "case": case_id,
        "role": Role(role).value,
        "pid": participant_id,
        "nbf": int(not_before.timestamp()),
        "exp": int(not_after.timestamp()),
    }
    body = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_sign(secret, body)}"


def verify_join_token(secret: bytes, token: str, room_id: str, now: datetime) -> JoinClaims:
    """Check signature, room and validity period; raise TokenError otherwise."""
    try:
        body, signature = token.split(".")
    except ValueError:
        raise TokenError("malformed") from None
    if not hmac.compare_digest(signature, _sign(secret, body)):
        raise TokenError("bad_signature")
    try:
        raw = json.loads(_unb64(body))
        claims = JoinClaims(
            room_id=str(raw["room"]),
            case_id=str(raw["case"]),
            role=Role(raw["role"]),
            participant_id=str(raw["pid"]),
            not_before=datetime.fromtimestamp(int(raw["nbf"]), UTC),
            not_after=datetime.fromtimestamp(int(raw["exp"]), UTC),
        )
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed") from None
    if claims.room_id != room_id:
        raise TokenError("wrong_room")
    if now < claims.not_before:
        raise TokenError("too_early")
    if now > claims.not_after:
        raise TokenError("expired")
    return claims


def build_join_link(public_url: str, room_id: str, token: str) -> str:
    """The link sent to a participant (by WeChat message, SMS or the console)."""
    return f"{public_url.rstrip('/')}/h5/room/{quote(room_id, safe='')}?t={quote(token, safe='')}"
