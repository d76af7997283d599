"""A party's own link to their case space: ``/h5/case/{code}?t=…`` — where the case stands,
their thread with the mediator and the case's evidence.

A resident who filed through the official account (or was named as the other party) has no
mini-program session; this link is how they reach their evidence and messages. It is made by
the platform's one signer (fengqiao.tokens) for the purpose ``case``, bound to one case and one
party, and expires (tokens.PURPOSES: 30 days). It is minted afresh whenever the party is sent
something about the case — each status notice, each progress reply on the official account —
so the newest message always carries a live link, and no link is kept at rest (the outbox
stores the party, not the token). What ``case`` grants is policy.PARTY_PURPOSES["case"]; the
door refuses it on another case, and every thread and evidence read is the party's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fengqiao.tokens import issue_token

PURPOSE = "case"
PAGE = "/h5/case/{code}"


@dataclass(frozen=True)
class CaseLinks:
    """Mints a party's case link; one per service, built from the settings."""

    secret: bytes
    public_url: str

    def for_party(
        self, *, case_id: int, case_code: str, party_id: int, now: float | None = None
    ) -> str:
        token = issue_token(
            self.secret, purpose=PURPOSE, case_id=case_id, party_id=party_id, now=now
        )
        page = PAGE.format(code=quote(case_code, safe=""))
        return f"{self.public_url.rstrip('/')}{page}?t={token}"
