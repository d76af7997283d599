"""The console's forms, declared: the door parses each posted form with its model, so a field
of the wrong type or length is refused by name before any service sees it. Whether a field
may be empty is the case service's rule (it answers with a message for the clerk)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from fengqiao.web.kit.models import Body, Query
from fengqiao.web.params import RowId


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Form(Body):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


Short = Annotated[str, Field(default="", max_length=128)]
Long = Annotated[str, Field(default="", max_length=4000)]


class RouteForm(Form):
    organisation: Short = ""
    department: Short = ""
    reason: Long = ""
    assignee: Short = ""


class HandleForm(Form):
    assignee: Short = ""


class AssignForm(Form):
    assignee: Short = ""
    reason: Long = ""


class WhistleForm(Form):
    departments: Annotated[list[Annotated[str, Field(max_length=64)]], BeforeValidator(_listed)] = (
        Field(default_factory=list, max_length=30)
    )
    reason: Long = ""
    instruction: Long = ""


class ReportForm(Form):
    task_id: int = Field(default=0, ge=0, le=2**31)
    report: Long = ""


class ReasonForm(Form):  # escalate, archive, withdraw, reopen
    reason: Long = ""


class CloseForm(Form):
    outcome: Short = ""
    summary: Long = ""
    referral: Short = ""
    referral_body: Short = ""


class MergeForm(Form):
    into: Short = ""
    reason: Long = ""


class RevisitForm(Form):
    level: Short = ""
    comment: Long = ""


ACTION_FORMS: dict[str, type[Form]] = {
    "route": RouteForm,
    "handle": HandleForm,
    "assign": AssignForm,
    "whistle": WhistleForm,
    "report": ReportForm,
    "escalate": ReasonForm,
    "close": CloseForm,
    "archive": ReasonForm,
    "withdraw": ReasonForm,
    "merge": MergeForm,
    "reopen": ReasonForm,
    "revisit": RevisitForm,
}


class PartyForm(Form):
    role: Short = "respondent"
    name: Annotated[str, Field(default="", max_length=64)] = ""
    phone: Annotated[str, Field(default="", max_length=32)] = ""
    id_number: Annotated[str, Field(default="", max_length=32)] = ""
    address: Annotated[str, Field(default="", max_length=255)] = ""
    agent: Annotated[str, Field(default="", max_length=64)] = ""


class RegisterForm(Form):
    description: Long = ""
    channel: Short = ""
    type: Short = ""
    risk: Short = ""
    applicant_name: Annotated[str, Field(default="", max_length=64)] = ""
    applicant_phone: Annotated[str, Field(default="", max_length=32)] = ""
    respondent_name: Annotated[str, Field(default="", max_length=64)] = ""
    respondent_phone: Annotated[str, Field(default="", max_length=32)] = ""
    region: Short = ""


class CaseListQuery(Query):
    status: str = Field(default="", max_length=16)
    type: str = Field(default="", max_length=40)
    risk: str = Field(default="", max_length=8)
    organisation: str = Field(default="", max_length=128)
    overdue: str = Field(default="", max_length=1)
    q: str = Field(default="", max_length=64)
    before: RowId | None = None


class RevisitQuery(Query):
    month: str = Field(default="", pattern=r"^(\d{4}-\d{2})?$")


# --- the agreement editor (pages/agreements.py) ----------------------------------------------
# Repeated form fields: one value per party or per obligation row, in page order.
ManyShort = Annotated[list[Annotated[str, Field(max_length=64)]], BeforeValidator(_listed)]
ManyLong = Annotated[list[Annotated[str, Field(max_length=2000)]], BeforeValidator(_listed)]


Rows: Any = Field(default_factory=list, max_length=20)


class AgreementForm(Form):
    """People's Mediation Law art. 29: the parties, the facts and disputed matters, each
    party's responsibility, what each party undertakes, how, by when, and what if not."""

    facts: Long = ""
    disputed_matters: Long = ""
    party_kind: ManyShort = Rows
    party_rep: ManyShort = Rows
    responsibility: ManyLong = Rows
    ob_obligor: ManyShort = Rows
    ob_obligee: ManyShort = Rows
    ob_kind: ManyShort = Rows
    ob_description: ManyLong = Rows
    ob_amount: ManyShort = Rows
    ob_method: ManyShort = Rows
    ob_holder: ManyShort = Rows
    ob_bank: ManyShort = Rows
    ob_number: ManyShort = Rows
    ob_schedule: ManyShort = Rows
    ob_deadline: ManyShort = Rows
    ob_instalments: ManyLong = Rows
    ob_default: ManyLong = Rows
    other_terms: Long = ""
    place: Annotated[str, Field(default="", max_length=200)] = ""
    signed_on: Annotated[str, Field(default="", max_length=10)] = ""


class CodeForm(Form):  # the one-time code for the mediator's signature or the seal
    code: Annotated[str, Field(default="", max_length=12)] = ""


class SignForm(CodeForm):
    signature: Annotated[str, Field(default="", max_length=2_000_000)] = ""
