"""A resident's own cases: those where the person behind their WeChat identity is a party,
whichever channel (official account, mini-program) the case came through (cases.identity).
The lookup the resident's space (/api/v1/me) stands on; it never reaches another person's
case."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fengqiao.cases import statuses
from fengqiao.cases.identity import persons_of_openid
from fengqiao.cases.parties import ROLES
from fengqiao.cases.rules import LOCAL_TZ
from fengqiao.storage.db import Database
from fengqiao.storage.models import Case, CaseParty


async def cases_of(db: Database, openid: str, limit: int = 100) -> list[dict[str, Any]]:
    """The resident's cases, newest first, with their role and where each stands."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(Case, CaseParty.role)
                .join(CaseParty, CaseParty.case_id == Case.id)
                .where(CaseParty.person_id.in_(persons_of_openid(openid)))
                .order_by(Case.id.desc())
                .limit(limit)
            )
        ).all()
    seen: set[int] = set()
    found = []
    for case, role in rows:
        if case.id in seen:
            continue
        seen.add(case.id)
        found.append(
            {
                "code": case.code,
                "type_name": case.type_name,
                "status": case.status,
                "status_name": statuses.NAMES.get(case.status, case.status),
                "role": role,
                "role_name": ROLES.get(role, role),
                "filed_at": case.created_at.astimezone(LOCAL_TZ).isoformat(),
            }
        )
    return found
