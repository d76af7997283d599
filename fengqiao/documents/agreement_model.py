"""What a mediation agreement (调解协议书) must say, and the check that it says it specifically.

People's Mediation Law art. 29 lists the contents; a court asked for judicial confirmation
(art. 33) sends back obligations that are vague, so ``validate_agreement`` refuses any
obligation without an amount, a payee account, a date or a default clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fengqiao.documents.texts import AGREEMENT

PAYMENT_METHODS = {"bank_transfer": "银行转账", "cash": "现金", "wechat": "微信转账",
                   "alipay": "支付宝转账"}
# Methods where money goes to an account the agreement must name.
ACCOUNT_METHODS = {"bank_transfer", "wechat", "alipay"}
_TYPE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# A name or a unit's full name has no clause punctuation and no digits of a phone number.
_NOT_A_NAME = re.compile(r"[，,、；;：:。！？!?\n]|\d{5,}")


def method_code(value: object) -> str:
    """A payment method as stored: its code, whether the caller sent the code or the Chinese
    name a person reads ("银行转账" is bank_transfer)."""
    text = str(value or "").strip()
    by_name = {name: code for code, name in PAYMENT_METHODS.items()}
    return by_name.get(text, text)


@dataclass
class Party:
    name: str
    role: str  # as printed: 申请人, 被申请人, 甲方 …
    id_number: str = ""  # 居民身份证号码, or 统一社会信用代码 for an organisation
    kind: str = "person"  # person | org
    gender: str = ""
    birth_date: str = ""
    ethnicity: str = ""
    address: str = ""
    phone: str = ""
    representative: str = ""  # 法定代表人/负责人 of an organisation
    agent: str = ""  # 委托代理人
    signer_key: str = ""  # opaque id of the verified person who signs for this party


@dataclass
class PayeeAccount:
    holder: str
    bank: str
    number: str


@dataclass
class Instalment:
    due: date
    amount: Decimal


@dataclass
class Obligation:
    obligor: str  # party name
    obligee: str  # party name
    kind: str = "payment"  # payment | act
    description: str = ""
    amount: Decimal | None = None
    method: str = ""
    account: PayeeAccount | None = None
    deadline: date | None = None
    instalments: list[Instalment] = field(default_factory=list)
    default_clause: str = ""


@dataclass
class AgreementData:
    dispute_type: str  # code of the taxonomy, e.g. labor, debt, neighbor, traffic
    case_code: str
    parties: list[Party]
    facts: str
    disputed_matters: str
    responsibilities: dict[str, str]  # party name -> that party's responsibility
    obligations: list[Obligation]
    mediator: str
    committee: str  # 调解组织 name, as on its seal
    signed_on: date
    mediator_key: str = ""
    place: str = ""
    type_details: dict[str, str] = field(default_factory=dict)  # per-template facts
    other_terms: list[str] = field(default_factory=list)
    copies: int | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AgreementData:
        """Build from JSON-shaped data (dates as ISO strings, amounts as strings or numbers)."""
        obligations = []
        for ob in raw.get("obligations", []):
            account = ob.get("account")
            obligations.append(Obligation(
                obligor=ob.get("obligor", ""),
                obligee=ob.get("obligee", ""),
                kind=ob.get("kind", "payment"),
                description=ob.get("description", ""),
                amount=_decimal(ob.get("amount")),
                method=method_code(ob.get("method", "")),
                account=PayeeAccount(**account) if account else None,
                deadline=_date(ob.get("deadline")),
                instalments=[Instalment(due=_date(i["due"]) or date.min,
                                        amount=_decimal(i["amount"]) or Decimal(0))
                             for i in ob.get("instalments", [])],
                default_clause=ob.get("default_clause", ""),
            ))
        return cls(
            dispute_type=raw.get("dispute_type", "base"),
            case_code=raw.get("case_code", ""),
            parties=[Party(**p) for p in raw.get("parties", [])],
            facts=raw.get("facts", ""),
            disputed_matters=raw.get("disputed_matters", ""),
            responsibilities=dict(raw.get("responsibilities", {})),
            obligations=obligations,
            mediator=raw.get("mediator", ""),
            mediator_key=raw.get("mediator_key", ""),
            committee=raw.get("committee", ""),
            signed_on=_date(raw.get("signed_on")) or date.today(),
            place=raw.get("place", ""),
            type_details=dict(raw.get("type_details", {})),
            other_terms=list(raw.get("other_terms", [])),
            copies=raw.get("copies"),
        )


@dataclass(frozen=True)
class Problem:
    where: str  # e.g. "obligations[0].deadline"
    message: str  # Chinese, for the mediator drafting the agreement


class AgreementInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        text = AGREEMENT["invalid"] + "；".join(p.message for p in problems)
        super().__init__(text)
        self.problems = problems


def validate_agreement(data: AgreementData) -> list[Problem]:
    """Every reason this agreement cannot be issued; empty when it is complete and specific."""
    problems: list[Problem] = []

    def add(where: str, key: str, **kw: Any) -> None:
        problems.append(Problem(where, AGREEMENT[key].format(**kw)))

    if not _TYPE_CODE.match(data.dispute_type or ""):
        add("dispute_type", "unknown_dispute_type", value=data.dispute_type)
    _check_parties(data, add)
    if not data.facts.strip():
        add("facts", "facts")
    if not data.disputed_matters.strip():
        add("disputed_matters", "matters")
    for party in data.parties:
        if party.name and not data.responsibilities.get(party.name, "").strip():
            add(f"responsibilities.{party.name}", "responsibility", name=party.name)
    if not data.obligations:
        add("obligations", "no_obligations")
    names = {p.name for p in data.parties}
    for n, ob in enumerate(data.obligations, start=1):
        _check_obligation(n, ob, names, data.signed_on, add)
    if not data.mediator.strip():
        add("mediator", "mediator")
    if not data.committee.strip():
        add("committee", "committee")
    return problems


def _check_parties(data: AgreementData, add: Any) -> None:
    if len(data.parties) < 2:
        add("parties", "too_few_parties")
    seen: set[str] = set()
    for n, party in enumerate(data.parties, start=1):
        where = f"parties[{n - 1}]"
        if not party.name.strip():
            add(where + ".name", "party_name", n=n)
            continue
        if _NOT_A_NAME.search(party.name) or len(party.name) > 40:
            # "王建国，鑫达建筑公司老板" as typed at intake: a name and a description of them.
            add(where + ".name", "party_name_text", name=party.name)
        if party.name in seen:
            add(where + ".name", "party_duplicate", name=party.name)
        seen.add(party.name)
        if not party.id_number.strip():
            add(where + ".id_number", "party_id", name=party.name)
        if not party.address.strip():
            add(where + ".address", "party_address", name=party.name)
        if party.kind == "org" and not party.representative.strip():
            add(where + ".representative", "party_org_rep", name=party.name)


def _check_obligation(n: int, ob: Obligation, names: set[str], signed_on: date,
                      add: Any) -> None:
    where = f"obligations[{n - 1}]"
    if ob.obligor not in names:
        add(where + ".obligor", "obligor", n=n, name=ob.obligor)
    if ob.obligee not in names:
        add(where + ".obligee", "obligee", n=n, name=ob.obligee)
    if ob.obligor and ob.obligor == ob.obligee:
        add(where + ".obligee", "same_party", n=n)
    if ob.kind != "payment" and not ob.description.strip():
        add(where + ".description", "description", n=n)
    if ob.deadline is None:
        add(where + ".deadline", "deadline", n=n)
    elif ob.deadline < signed_on:
        add(where + ".deadline", "deadline_past", n=n)
    if not ob.default_clause.strip():
        add(where + ".default_clause", "default_clause", n=n)
    if ob.kind != "payment":
        return
    if ob.amount is None or ob.amount <= 0:
        add(where + ".amount", "amount", n=n)
    if ob.method not in PAYMENT_METHODS:
        add(where + ".method", "method", n=n)
    elif ob.method in ACCOUNT_METHODS:
        acc = ob.account
        if acc is None or not (acc.holder.strip() and acc.bank.strip() and acc.number.strip()):
            add(where + ".account", "account", n=n)
    if ob.instalments:
        for k, inst in enumerate(ob.instalments, start=1):
            if inst.due == date.min or inst.amount <= 0:
                add(f"{where}.instalments[{k - 1}]", "instalment_amount", n=n, k=k)
        total = sum((i.amount for i in ob.instalments), Decimal(0))
        if ob.amount is not None and total != ob.amount:
            add(where + ".instalments", "instalment_sum", n=n, total=f"{total:.2f}",
                amount=f"{ob.amount:.2f}")
        dues = [i.due for i in ob.instalments]
        if dues != sorted(dues) or (ob.deadline is not None and dues[-1] > ob.deadline):
            add(where + ".instalments", "instalment_order", n=n)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
