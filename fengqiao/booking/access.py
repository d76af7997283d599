"""Signed per-party links for the resident H5 pages.

A minimal HMAC token until fengqiao/web/access.py (the shared party-access helper) lands:
`<booking>.<party>.<expiry>.<signature>`, signed with the service secret and a purpose label
so a booking token is not valid anywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

PURPOSE = b"fengqiao.booking.party.v1"
DEFAULT_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class PartyAccess:
    booking_id: int
    party_id: int  # booking_parties.id


def _sign(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, PURPOSE + b"|" + message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def issue(
    secret: bytes,
    booking_id: int,
    party_id: int,
    *,
    ttl: int = DEFAULT_TTL,
    now: float | None = None,
) -> str:
    expiry = int((now if now is not None else time.time()) + ttl)
    message = f"{booking_id}.{party_id}.{expiry}"
    return f"{message}.{_sign(secret, message)}"


def verify(secret: bytes, token: str, *, now: float | None = None) -> PartyAccess | None:
    parts = token.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    message = ".".join(parts[:3])
    if not hmac.compare_digest(_sign(secret, message), parts[3]):
        return None
    if int(parts[2]) < (now if now is not None else time.time()):
        return None
    return PartyAccess(int(parts[0]), int(parts[1]))
