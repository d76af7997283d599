"""The facts a draft proposes: the parties in the third person, what the intake established in
the words of an agreement, the applicant's own account quoted as theirs."""

from __future__ import annotations

from fengqiao.documents.facts import proposed_facts
from fengqiao.storage.models import Case, CaseParty

PARTIES = [CaseParty(role="applicant", name="王建国"), CaseParty(role="respondent", name="刘某")]


def test_the_draft_speaks_of_the_parties_and_quotes_the_applicant():
    case = Case(type_name="劳动争议", description="我在工地干了五个月，老板欠我工资一万八。",
                answers={"when": "2026-10", "where": "城关镇锦绣家园工地", "amount": 18000})
    assert proposed_facts(case, PARTIES) == (
        "申请人王建国与被申请人刘某之间发生劳动争议。纠纷发生于2026年10月。"
        "地点：城关镇锦绣家园工地。涉及金额18,000元。"
        "据申请人陈述：“我在工地干了五个月，老板欠我工资一万八。”")


def test_what_the_resident_did_not_know_is_left_out():
    case = Case(type_name="邻里纠纷", description="楼上漏水", answers={
        "when": "", "where": "不清楚", "amount": None})
    facts = proposed_facts(case, [CaseParty(role="applicant", name="李秀英")])
    assert facts == "申请人李秀英因邻里纠纷申请调解。据申请人陈述：“楼上漏水。”"
    assert "不清楚" not in facts and "None" not in facts
