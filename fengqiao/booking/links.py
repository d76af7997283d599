"""Party links: the signed URL each party gets for its booking, and what a token proves.

Booking does not sign anything itself: the composition root hands it the platform's one
token signer through the `TokenSigner` interface. A booking link is a party token with the
purpose `case` (the party's `case_parties.id`), so one link serves whichever booking the case
has now; a token made for any other purpose (signing an agreement, a delivery, evidence, a
staff token) opens nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fengqiao.booking import texts
from fengqiao.booking.errors import Forbidden

PURPOSE = "case"  # the purpose booking links are issued with, and the only one accepted


@dataclass(frozen=True)
class LinkClaims:
    role: str  # party, staff
    purpose: str
    case_id: int | None
    party_id: int | None  # case_parties.id


class TokenSigner(Protocol):
    def issue(self, *, purpose: str, case_id: int, party_id: int) -> str:
        """A party token for this case and party, valid for the purpose's lifetime."""
        ...

    def verify(self, token: str) -> LinkClaims:
        """The claims of a valid, unexpired token; raises ValueError otherwise."""
        ...


@dataclass(frozen=True)
class PartyLink:
    """What a valid booking link proves: this party of this case."""

    case_id: int
    case_party_id: int


class PartyLinks:
    def __init__(self, signer: TokenSigner, public_url: str) -> None:
        self.signer = signer
        self.base = public_url.rstrip("/")

    def url(self, case_id: int, case_party_id: int) -> str:
        token = self.signer.issue(purpose=PURPOSE, case_id=case_id, party_id=case_party_id)
        return f"{self.base}/h5/booking/{token}"

    def console_url(self, booking_id: int) -> str:
        return f"{self.base}/console/booking/{booking_id}"

    def feed_url(self, ics_token: str) -> str:
        return f"{self.base}/api/v1/booking/feeds/{ics_token}.ics"

    def open(self, token: str) -> PartyLink:
        """The party behind a booking link; Forbidden for a bad, expired or other-purpose one."""
        try:
            claims = self.signer.verify(token)
        except ValueError:
            raise Forbidden("bad_link", texts.E_LINK) from None
        if (
            claims.role != "party"
            or claims.purpose != PURPOSE
            or claims.case_id is None
            or claims.party_id is None
        ):
            raise Forbidden("bad_link", texts.E_LINK)
        return PartyLink(int(claims.case_id), int(claims.party_id))
