"""Reading cases and parties for the document services, without touching cases/."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fengqiao.cases import codes
from fengqiao.documents.errors import NotFound
from fengqiao.documents.texts import DOCS
from fengqiao.storage.models import Case, CaseParty, Person


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


async def party_openid(session: Any, party: CaseParty) -> str | None:
    if party.person_id is None:
        return None
    person = await session.get(Person, party.person_id)
    return person.openid if person is not None else None


async def party_for_openid(session: Any, case_id: int, openid: str,
                           channels: tuple[str, ...] = ("wxa", "mp")) -> CaseParty | None:
    """The party of ``case_id`` whose WeChat identity is ``openid`` (mini-program or account)."""
    return await session.scalar(
        select(CaseParty)
        .join(Person, Person.id == CaseParty.person_id)
        .where(CaseParty.case_id == case_id, Person.openid == openid,
               Person.channel.in_(channels))
        .limit(1))
