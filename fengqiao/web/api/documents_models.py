"""Request and response models of the documents API (web/api/documents.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fengqiao.web.kit.models import Body
from fengqiao.web.params import RowId

Text = Field(default=None, max_length=4000)


class Comment(Body):
    text: str = Field(min_length=1, max_length=2000, title="质证意见")


class Sign(Body):
    code: str = Field(default="", max_length=12, title="短信验证码")
    signature: str = Field(min_length=1, max_length=2_000_000, title="手写签名（PNG）")
    field: str | None = Field(default=None, max_length=64)


class Seal(Body):
    code: str = Field(default="", max_length=12, title="印章管理员的短信验证码")


class ServiceConsent(Body):
    # The consent as the page showed it: refused if it is no longer what the party would
    # agree to (their address changed since the page was drawn).
    wording: str | None = Field(default=None, max_length=1000, title="所同意的送达确认内容")


class PaperCopy(Body):
    address: str = Field(min_length=4, max_length=200, title="邮寄地址")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgreementParty(_Part):
    name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    party_id: RowId | None = None
    id_number: str = Field(default="", max_length=32)
    kind: Literal["person", "org"] = "person"
    gender: str = Field(default="", max_length=4)
    birth_date: str = Field(default="", max_length=16)
    ethnicity: str = Field(default="", max_length=16)
    address: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=32)
    representative: str = Field(default="", max_length=64)
    agent: str = Field(default="", max_length=64)
    signer_key: str = Field(default="", max_length=64)


class Account(_Part):
    holder: str = Field(max_length=64)
    bank: str = Field(max_length=64)
    number: str = Field(max_length=40)


class Instalment(_Part):
    due: str = Field(max_length=10, title="日期 YYYY-MM-DD")
    amount: str | float | int


class Obligation(_Part):
    obligor: str = Field(max_length=64)
    obligee: str = Field(max_length=64)
    kind: Literal["payment", "act"] = "payment"
    description: str = Field(default="", max_length=1000)
    amount: str | float | int | None = None
    method: str = Field(default="", max_length=32)
    account: Account | None = None
    deadline: str | None = Field(default=None, max_length=10)
    instalments: list[Instalment] = Field(default_factory=list, max_length=60)
    default_clause: str = Field(default="", max_length=1000)


class DraftUpdate(Body):
    """Fields of a draft agreement to replace; the ones left out stay as they are."""

    dispute_type: str | None = Field(default=None, max_length=40)
    parties: list[AgreementParty] | None = Field(default=None, max_length=20)
    facts: str | None = Text
    disputed_matters: str | None = Text
    responsibilities: dict[str, str] | None = None
    obligations: list[Obligation] | None = Field(default=None, max_length=20)
    mediator: str | None = Field(default=None, max_length=64)
    committee: str | None = Field(default=None, max_length=128)
    signed_on: str | None = Field(default=None, max_length=10)
    place: str | None = Field(default=None, max_length=200)
    type_details: dict[str, str] | None = None
    other_terms: list[str] | None = Field(default=None, max_length=20)
    copies: int | None = Field(default=None, ge=1, le=20)


# --- responses: what a party's client (H5 page, mini-program) reads --------------------------
class EvidenceComment(BaseModel):
    id: int
    text: str
    author: str
    author_name: str
    created_at: str = Field(description="ISO 8601")


class Evidence(BaseModel):
    id: int
    name: str | None
    mime: str
    kind: str = Field(description="image, audio, video, pdf or office")
    kind_name: str
    size: int
    sha256: str
    visibility: str
    submitted_by: str | None
    submitter_name: str | None
    party_id: int | None
    channel: str | None
    width: int | None
    height: int | None
    has_thumbnail: bool
    created_at: str
    comments: list[EvidenceComment]
    can_comment: bool = Field(
        True, description="whether the requester may comment on it: not on their own evidence")


class EvidenceList(BaseModel):
    evidence: list[Evidence]
    party_id: int | None = Field(
        default=None, title="提问的当事人（自己提交的证据不能质证）；工作人员为空"
    )


class SignatureSlot(BaseModel):
    field: str
    role: str
    label: str
    name: str | None
    signed: bool
    signed_at: str | None


class DocumentSummary(BaseModel):
    """A document as its reader sees it (``data`` and ``problems`` only for staff)."""

    code: str
    case_code: str
    kind: str
    title: str
    status: str
    status_name: str
    sha256: str | None
    text: str | None = Field(description="the agreement's text for preview")
    problems: list[dict[str, str]]
    slots: list[SignatureSlot]
    next: str | None = Field(description="the field whose turn it is")
    mine: str | None = Field(description="the caller's own field")
    my_turn: bool
    issued_at: str | None
    sealed_at: str | None
    judicial_deadline_at: str | None
    judicial_deadline_text: str | None
    pdf_url: str | None
    verify_url: str
    privacy_notice: str
    consent_text: str
    data: dict[str, Any] | None = Field(
        default=None,
        description="staff only: the agreement's fields, as DraftUpdate takes them",
        json_schema_extra={"x-staff-only": True},
    )


class CodeSent(BaseModel):
    required: bool
    phone: str = Field(description="masked")


class ServiceConsentGiven(BaseModel):
    consented_at: str
    address: str = Field(description="masked")
    wording_sha256: str


class DeliveryState(BaseModel):
    status: str
    sent_at: str | None
    delivered_at: str | None
    read_at: str | None
    downloaded_at: str | None
    acknowledged_at: str | None
    attempt: int
    paper_requested_at: str | None


class DeliveredDocument(BaseModel):
    code: str
    title: str
    status: str
    sha256: str | None
    pdf_url: str
    delivery: DeliveryState | None
