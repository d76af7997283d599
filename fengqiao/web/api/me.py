"""The resident's own space, for the mini-program: who I am, my cases, one case of mine.
Only the resident's own: the door finds the party behind the session on the case asked for."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fengqiao import errors, keys
from fengqiao.cases.mine import cases_of
from fengqiao.cases.parties import ROLES
from fengqiao.web.kit import requester as req
from fengqiao.web.kit.door import Call, Routes, by_case

routes = Routes()


class MyCase(BaseModel):
    code: str
    type_name: str
    status: str
    status_name: str
    role: str
    role_name: str
    filed_at: str


class Me(BaseModel):
    channel: str
    cases: int


class MyCases(BaseModel):
    cases: list[MyCase]


class Step(BaseModel):
    status: str
    name: str
    description: str
    at: str


class MyCaseDetail(BaseModel):
    code: str
    status: str
    status_name: str
    type_name: str
    filed_at: str
    next_deadline: str | None
    steps: list[Step]
    my_role: str
    my_role_name: str


def _openid(call: Call[Any, Any]) -> str:
    if not isinstance(call.who, req.Resident):  # staff and party links have their own doors
        raise errors.Forbidden("resident_only", "请在小程序中登录后使用")
    return call.who.openid


@routes.get("/api/v1/me", "resident", response=Me, summary="The signed-in resident")
async def me(call: Call[Any, Any]) -> Me:
    mine = await cases_of(call.app[keys.DB], _openid(call))
    return Me(channel="wxa", cases=len(mine))


@routes.get(
    "/api/v1/me/cases", "resident", response=MyCases, summary="My cases, newest first"
)
async def my_cases(call: Call[Any, Any]) -> MyCases:
    mine = await cases_of(call.app[keys.DB], _openid(call))
    return MyCases(cases=[MyCase(**c) for c in mine])


@routes.get(
    "/api/v1/me/cases/{code}",
    "case.view",
    case=by_case(),
    response=MyCaseDetail,
    summary="One of my cases: where it stands, its steps, my role in it",
)
async def my_case(call: Call[Any, Any]) -> MyCaseDetail:
    progress = await call.app[keys.CASES].progress(call.path("code"))
    mine = {c["code"]: c for c in await cases_of(call.app[keys.DB], _openid(call))}
    role = mine.get(progress["code"], {}).get("role", "")
    return MyCaseDetail(
        code=progress["code"],
        status=progress["status"],
        status_name=progress["status_name"],
        type_name=progress["type_name"],
        filed_at=progress["filed_at"],
        next_deadline=progress["next_deadline"],
        steps=[Step(**s) for s in progress["steps"]],
        my_role=role,
        my_role_name=ROLES.get(role, role),
    )
