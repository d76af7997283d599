"""Request models of the documents API (web/api/documents.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fengqiao.web.kit.models import Body

Text = Field(default=None, max_length=4000)


class Comment(Body):
    text: str = Field(min_length=1, max_length=2000, title="质证意见")


class Sign(Body):
    code: str = Field(default="", max_length=12, title="短信验证码")
    signature: str = Field(min_length=1, max_length=2_000_000, title="手写签名（PNG）")
    field: str | None = Field(default=None, max_length=64)


class Seal(Body):
    code: str = Field(default="", max_length=12, title="印章管理员的短信验证码")


class PaperCopy(Body):
    address: str = Field(min_length=4, max_length=200, title="邮寄地址")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgreementParty(_Part):
    name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    party_id: int | None = None
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
