"""The one access policy, as data: what each role may do, on which cases, and what personal
data it sees. Every door asks it — console pages, the JSON API, downloads, room join links,
websockets — through fengqiao/web/kit/door.py; services may ask it too. No HTTP here.

Staff roles act on cases in a *scope*:
- ``all``: every case;
- ``own``: cases of the staff member's organisation (the case's handling organisation, or a
  department it was routed or whistled to) or assigned to them by name.
Parties act only on the one case and the purposes their link (or mini-program session) grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["all", "own"]

# Every permission a route can ask for. "public" needs no identity at all.
PERMISSIONS: dict[str, str] = {
    "public": "任何人",
    "case.view": "查看案件",
    "case.register": "登记案件",
    "case.route": "分流",
    "case.handle": "受理处置",
    "case.assign": "指派",
    "case.whistle": "吹哨",
    "case.report": "报告办理情况",
    "case.escalate": "督办",
    "case.close": "办结",
    "case.archive": "归档",
    "case.withdraw": "撤回",
    "case.merge": "合并",
    "case.reopen": "重新办理",
    "case.revisit": "回访",
    "case.parties": "补充、更正当事人信息",
    "case.messages": "当事人与调解员留言",
    "evidence.view": "查看证据",
    "evidence.upload": "提交证据",
    "evidence.comment": "质证",
    "document.view": "查看文书",
    "document.draft": "起草、修改、发出协议",
    "document.sign": "签署协议",
    "document.code": "获取签署或盖章的短信验证码",
    "document.seal": "加盖印章",
    "delivery.send": "电子送达",
    "delivery.open": "签收送达文书",
    "delivery.consent": "确认送达地址",
    "delivery.certificate": "送达证明",
    "judicial.package": "司法确认材料",
    "booking.view": "查看预约",
    "booking.manage": "安排调解预约",
    "booking.party": "当事人确认或改约",
    "calendar.view": "查看调解员日程",
    "calendar.manage": "管理调解员日程",
    "registry.view": "查看调解员名册",
    "registry.manage": "管理调解员名册",
    "room.links": "获取调解室链接",
    "room.join": "进入调解室",
    "room.recordings": "查看录像",
    "dashboard.view": "查看态势",
    "audit.view": "查看审计",
    "users.manage": "管理账号",
    "staff": "工作人员登录后可用",
    "resident": "小程序居民登录后可用",
}

ROLES = ("staff", "mediator", "leader", "admin", "seal_keeper")
ROLE_NAMES = {
    "staff": "工作人员",
    "mediator": "调解员",
    "leader": "领导",
    "admin": "管理员",
    "seal_keeper": "印章管理员",
}


def _all(*names: str) -> dict[str, Scope]:
    return dict.fromkeys(names, "all")


def _own(*names: str) -> dict[str, Scope]:
    return dict.fromkeys(names, "own")


_CLERK = _all(
    "case.view", "case.register", "case.route", "case.handle", "case.assign", "case.whistle",
    "case.report", "case.escalate", "case.close", "case.archive", "case.withdraw",
    "case.merge", "case.revisit", "case.parties", "case.messages",
    "evidence.view", "evidence.upload", "evidence.comment",
    "document.view", "delivery.send", "delivery.certificate", "judicial.package",
    "booking.view", "booking.manage", "calendar.view", "calendar.manage", "registry.view",
    "room.links", "room.recordings", "staff",
)  # fmt: skip

# What only parties do (confirm their booking, open what was served on them, join a room by
# their link), and what is personal to another role.
_PARTY_ONLY = ("booking.party", "delivery.open", "delivery.consent", "room.join")
_NOT_ADMIN = (
    "public", "resident", "document.sign", "document.seal", "document.code", *_PARTY_ONLY
)

ROLE_PERMISSIONS: dict[str, dict[str, Scope]] = {
    # 窗口/指挥中心: registers, routes, supervises, books mediators, serves documents.
    "staff": _CLERK,
    # Mediators run their own organisation's cases, and the ones assigned to them.
    "mediator": {
        **_own(
            "case.view", "case.handle", "case.report", "case.close", "case.revisit",
            "case.parties", "case.messages", "evidence.view", "evidence.upload", "evidence.comment",
            "document.view", "document.draft", "document.sign", "document.code", "delivery.send",
            "delivery.certificate", "judicial.package",
            "booking.view", "booking.manage", "room.links", "room.join", "room.recordings",
            "calendar.manage",
        ),
        **_all("calendar.view", "registry.view", "staff"),
    },  # fmt: skip
    # Leaders read everything (masked) and change only what supervision needs.
    "leader": _all(
        "case.view", "case.escalate", "case.reopen", "case.revisit", "booking.view",
        "calendar.view", "registry.view", "dashboard.view", "audit.view", "staff",
    ),  # fmt: skip
    # Admins may do everything but what is personal to another role: a mediator's signature
    # on an agreement and the committee's seal.
    "admin": _all(*(p for p in PERMISSIONS if p not in _NOT_ADMIN)),
    # The committee's seal is applied by the person who keeps it, and only by them.
    "seal_keeper": _all("case.view", "document.view", "document.seal", "document.code", "staff"),
}

# Roles that see parties' names, phone and ID numbers unmasked on the cases they may view.
UNMASKED_ROLES = frozenset({"staff", "mediator", "admin"})

# What a party's link grants, by the purpose it was made for. A mini-program session of a
# party grants every party permission on that party's own cases.
PARTY_PURPOSES: dict[str, frozenset[str]] = {
    # The signing page also asks for consent to electronic service of the sealed agreement.
    "sign": frozenset({"document.view", "document.sign", "document.code", "delivery.consent"}),
    "delivery": frozenset({"document.view", "delivery.open"}),
    "evidence": frozenset({"evidence.view", "evidence.upload", "evidence.comment"}),
    "case": frozenset(
        {
            "case.view", "case.messages", "evidence.view", "evidence.upload",
            "evidence.comment", "delivery.consent",
        }
    ),
    "booking": frozenset({"booking.party"}),
    "room": frozenset({"room.join"}),
}
RESIDENT_PERMISSIONS = frozenset().union(*PARTY_PURPOSES.values())


@dataclass(frozen=True)
class CaseScope:
    """What the policy needs to know of a case to decide: who handles it."""

    id: int
    code: str
    organisation: str | None = None
    departments: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()


def staff_scope(role: str, permission: str) -> Scope | None:
    """The scope in which ``role`` holds ``permission``; None if it does not."""
    return ROLE_PERMISSIONS.get(role, {}).get(permission)


def staff_may(
    role: str,
    permission: str,
    case: CaseScope | None = None,
    *,
    organisation: str | None = None,
    username: str = "",
) -> bool:
    """Whether a staff member may do ``permission`` (on ``case``, when it is about one)."""
    if permission == "public":
        return True
    scope = staff_scope(role, permission)
    if scope is None:
        return False
    if scope == "all" or case is None:
        return True
    return in_own_scope(case, organisation, username)


def in_own_scope(case: CaseScope, organisation: str | None, username: str) -> bool:
    if username and username in case.assignees:
        return True
    if not organisation:
        return False
    return case.organisation == organisation or organisation in case.departments


def party_may(purpose: str, permission: str) -> bool:
    return permission == "public" or permission in PARTY_PURPOSES.get(purpose, frozenset())


def sees_personal_data(role: str) -> bool:
    return role in UNMASKED_ROLES


def role_permissions(role: str) -> frozenset[str]:
    return frozenset(ROLE_PERMISSIONS.get(role, {}))
