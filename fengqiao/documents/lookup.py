"""Reading cases and parties for the document services, without touching cases/."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fengqiao.cases import codes, identity
from fengqiao.cases.reach import Reach
from fengqiao.documents.errors import NotFound
from fengqiao.documents.texts import DOCS
from fengqiao.storage.models import Case, CaseParty


async def case_by_code(session: Any, code: str) -> Case:
    canonical = codes.normalise(code)
    case = None
    if canonical is not None:
        case = await session.scalar(select(Case).where(Case.code == canonical))
    if case is None:
        raise NotFound("case_not_found", DOCS["case_not_found"])
    return case


async def case_parties(session: Any, case_id: int) -> list[CaseParty]:
    rows = await session.scalars(
        select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.id))
    return list(rows.all())


async def party_reach(session: Any, party: CaseParty) -> Reach | None:
    """How to reach the party: their person's channels in the order notices prefer (the
    mini-program, the official account, a verified phone), or None for nobody to write to."""
    if party.person_id is None:
        return None
    found = await identity.reachable(session, party.person_id)
    return Reach(party.person_id, tuple(found)) if found else None


async def reach_of_openid(session: Any, openid: str) -> Reach | None:
    """The person behind a WeChat openid (of either account) and all their channels."""
    person_id = await session.scalar(identity.persons_of_openid(openid).limit(1))
    if person_id is None:
        return None
    found = await identity.reachable(session, int(person_id))
    return Reach(int(person_id), tuple(found)) if found else None


def wechat_address(to: Reach | None) -> str | None:
    """The openid a consent to electronic service names: the person's first WeChat channel."""
    return next((c.address for c in to.channels if c.kind in identity.WECHAT), None) if to else None


async def party_for_openid(session: Any, case_id: int, openid: str) -> CaseParty | None:
    """The party of ``case_id`` whose person has ``openid`` on the mini-program or the official
    account (any channel of the same person, cases.identity)."""
    return await session.scalar(
        select(CaseParty)
        .where(CaseParty.case_id == case_id,
               CaseParty.person_id.in_(identity.persons_of_openid(openid)))
        .order_by(CaseParty.id)
        .limit(1))
