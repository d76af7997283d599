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

A link can be revoked. It carries the party's link generation (claim ``x.g``; the column
``case_parties.link_generation``), and the door refuses a link of an older generation with
401 ``link_revoked`` (REVOKED). The generation goes up when staff change the party's phone,
when the phone the party's person verified moves to another WeChat user, and when staff press
作废旧链接 on the case page (audited ``party.links_revoked``). A link made before generations
existed has no ``g`` and counts as generation 0: every party starts at 0, so such a link is
refused by the first revocation, exactly like one made after — nothing it could do before is
left open after.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fengqiao.tokens import Claims, signer_for

PURPOSE = "case"
PAGE = "/h5/case/{code}"
REVOKED = "链接已作废，请使用最新链接。"


def generation_of(claims: Claims) -> int:
    """The link generation a case token was made in (0 for links made before there were)."""
    value = claims.extra.get("g", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


@dataclass(frozen=True)
class CaseLinks:
    """Mints a party's case link; one per service, built from the settings."""

    secret: bytes
    public_url: str

    def for_party(
        self,
        *,
        case_id: int,
        case_code: str,
        party_id: int,
        generation: int = 0,
        now: float | None = None,
    ) -> str:
        signer = signer_for(self.secret)
        # Generation 0 is written as no claim at all: the links of before (cases/case_link).
        token = (
            signer.issue(PURPOSE, case_id=case_id, party_id=party_id, now=now, g=generation)
            if generation
            else signer.issue(PURPOSE, case_id=case_id, party_id=party_id, now=now)
        )
        page = PAGE.format(code=quote(case_code, safe=""))
        return f"{self.public_url.rstrip('/')}{page}?t={token}"
