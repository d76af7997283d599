"""The facts an agreement draft proposes: what the intake established, said of the parties in
the third person, and the applicant's own account marked as theirs. The mediator rewrites it
after hearing both sides; the applicant's first-person complaint is never the finding."""

from __future__ import annotations

from typing import Any

from fengqiao.dialogs.validators import format_amount, format_date
from fengqiao.storage.models import Case, CaseParty


def _named(parties: list[CaseParty], role: str) -> str:
    return "、".join(p.name for p in parties if p.role == role and p.name)


def proposed_facts(case: Case, parties: list[CaseParty]) -> str:
    answers: dict[str, Any] = case.answers or {}
    applicant, respondent = _named(parties, "applicant"), _named(parties, "respondent")
    who = f"申请人{applicant}" if applicant else "申请人"
    if respondent:
        opening = f"{who}与被申请人{respondent}之间发生{case.type_name}。"
    else:
        opening = f"{who}因{case.type_name}申请调解。"
    sentences = [opening]
    when, where, amount = answers.get("when"), answers.get("where"), answers.get("amount")
    if isinstance(when, str) and when:
        sentences.append(f"纠纷发生于{format_date(when)}。")
    if isinstance(where, str) and where.strip() and where.strip() not in ("没有", "不清楚"):
        sentences.append(f"地点：{where.strip()}。")
    if isinstance(amount, int | float) and not isinstance(amount, bool) and amount > 0:
        sentences.append(f"涉及金额{format_amount(amount)}。")
    account = (case.description or "").strip().rstrip("。")
    if account:
        sentences.append(f"据申请人陈述：“{account}。”")
    return "".join(sentences)
