"""Who did what, as a person reads it on the case page: names instead of internal ids."""

from __future__ import annotations

from fengqiao.cases import masking

FILE_KINDS = {
    "evidence": "证据",
    "recording": "调解录像",
    "agreement": "调解协议",
    "certificate": "证明文书",
}


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


PARTY_ROLES = {"applicant": "申请人", "respondent": "被申请人", "agent": "代理人"}
ACTOR_NAMES = {
    "system": "系统",
    "room": "视频调解室",
    "wechat": "微信",
    "demo": "演示数据",
    "cli": "命令行",
    "test": "测试",
}


def staff_username(actor: str) -> str | None:
    # "staff:staff:name" was written by an older API edge: the name is the last part.
    return actor.rsplit(":", 1)[-1] if actor.startswith("staff:") else None


def actor_name(actor: str, staff: dict[str, str], parties: dict[int, str]) -> str:
    """Who did it, as a person reads it: a staff member's name, a party by role and masked
    name, the system; never an openid or an internal key."""
    username = staff_username(actor)
    if username is not None:
        return staff.get(username, username)
    kind, _, rest = actor.partition(":")
    if kind == "party" and rest.isdigit():
        return parties.get(int(rest), "当事人")
    if kind in ("mp", "wxa"):
        return "当事人（微信）"
    if kind == "room":  # said or done in the video room by a participant
        who, _, pid = rest.partition(":")
        if who == "party" and pid.isdigit():
            return parties.get(int(pid), "当事人")
        return "调解员" if who == "mediator" else "视频调解室"
    if kind in ACTOR_NAMES:
        return ACTOR_NAMES[kind]
    # Older entries name a person directly (a mediator's display name): keep it, masked if
    # it looks like something else.
    return masking.text(actor)[:32]
