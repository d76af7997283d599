"""Party links: the signed URL each party gets for its booking, and what a token proves.

Tokens come from the platform's one signer (`fengqiao.tokens`), with the purpose `booking`
and the party's `case_parties.id`, so one link serves whichever booking the case has now. The
signer keys each purpose apart: a link made for signing an agreement, a delivery, evidence or
the case page opens nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fengqiao.booking import texts
from fengqiao.booking.errors import Forbidden
from fengqiao.tokens import Signer, TokenError

PURPOSE = "booking"  # the purpose booking links are issued with, and the only one accepted


@dataclass(frozen=True)
class PartyLink:
    """What a valid booking link proves: this party of this case."""

    case_id: int
    case_party_id: int


class PartyLinks:
    def __init__(self, signer: Signer, public_url: str) -> None:
        self.signer = signer
        self.base = public_url.rstrip("/")

    def url(self, case_id: int, case_party_id: int) -> str:
        token = self.signer.issue(PURPOSE, case_id=case_id, party_id=case_party_id)
        return f"{self.base}/h5/booking/{token}"

    def console_url(self, booking_id: int) -> str:
        return f"{self.base}/console/booking/{booking_id}"

    def feed_url(self, ics_token: str) -> str:
        return f"{self.base}/api/v1/booking/feeds/{ics_token}.ics"

    def open(self, token: str) -> PartyLink:
        """The party behind a booking link; Forbidden for a bad, expired or other-purpose one."""
        try:
            claims = self.signer.verify(token, PURPOSE)
        except TokenError:
            raise Forbidden("bad_link", texts.E_LINK) from None
        if claims.case_id is None or claims.party_id is None:
            raise Forbidden("bad_link", texts.E_LINK)
        return PartyLink(claims.case_id, claims.party_id)
