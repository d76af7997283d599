"""Who is acting on a case's documents, as the services see it (no HTTP here)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from fengqiao.documents.errors import Forbidden
from fengqiao.documents.texts import ACCESS


@dataclass(frozen=True)
class Viewer:
    kind: str  # party | staff
    name: str = ""
    case_id: int | None = None  # parties: the one case their link or session is for
    party_id: int | None = None
    staff_id: str | None = None
    phone: str | None = None  # staff: where a one-time code goes, if known
    purposes: frozenset[str] = frozenset()  # parties: what their link allows
    ip: str | None = None
    user_agent: str | None = None
    # The request comes from WeChat: the mini-program's session, or a link opened in WeChat's
    # browser. A party link opened elsewhere shows no WeChat account (service_address.py).
    from_wechat: bool = True

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def actor(self) -> str:
        return f"staff:{self.staff_id}" if self.is_staff else f"party:{self.party_id}"

    def with_client(self, ip: str | None, user_agent: str | None,
                    from_wechat: bool = True) -> Viewer:
        return replace(self, ip=ip, user_agent=user_agent, from_wechat=from_wechat)

    def require_case(self, case_id: int, *purposes: str) -> None:
        """Staff see every case; a party only the case (and purpose) their access names."""
        if self.is_staff:
            return
        if self.case_id != case_id or self.party_id is None:
            raise Forbidden("other_case", ACCESS["other_case"])
        if not self.purposes & {*purposes, "case"}:
            raise Forbidden("wrong_purpose", ACCESS["wrong_purpose"])

    def require_staff(self) -> None:
        if not self.is_staff:
            raise Forbidden("staff_only", ACCESS["staff_only"])


def staff_viewer(staff_id: str, name: str, phone: str | None = None) -> Viewer:
    return Viewer(kind="staff", name=name, staff_id=staff_id, phone=phone)


def party_viewer(case_id: int, party_id: int, name: str = "",
                 purposes: frozenset[str] = frozenset({"case"})) -> Viewer:
    return Viewer(kind="party", name=name, case_id=case_id, party_id=party_id,
                  purposes=purposes)
