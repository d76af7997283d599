"""Request and response models of the booking API (web/api/booking.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fengqiao.booking.reports import YEARS
from fengqiao.web.kit.models import Body, Query
from fengqiao.web.params import RowId

Mode = Literal["onsite", "video"]
Times: Any = Field(default_factory=list, max_length=20, title="可选时间（无时区按北京时间）")
Reason: Any = Field(default="", max_length=2000, title="原因")


class Proposal(Body):
    mediator_id: RowId = Field(title="调解员")
    times: list[str] = Times
    mode: Mode = "onsite"
    place: str | None = Field(default=None, max_length=255, title="地点")


class FixedTime(Body):
    mediator_id: RowId = Field(title="调解员")
    starts_at: str = Field(max_length=40, title="开始时间")
    mode: Mode = "onsite"
    place: str | None = Field(default=None, max_length=255, title="地点")


class Action(Body):
    """The fields of every action; each action reads the ones it needs."""

    reason: str = Reason
    outcome: str = Field(default="", max_length=16, title="调解结果")
    notes: str | None = Field(default=None, max_length=20000, title="调解笔记")
    party_ids: list[RowId] = Field(default_factory=list, max_length=20, title="未到场的当事人")
    times: list[str] = Times


class Absence(Body):
    starts_at: str = Field(max_length=40, title="开始时间")
    ends_at: str = Field(max_length=40, title="结束时间")
    reason: str = Field(default="", max_length=255, title="事由")


class PartyConfirm(Body):
    slot_id: RowId = Field(title="所选时间")
    consent: bool = Field(default=False, title="同意参加调解")


class PartyReschedule(Body):
    reason: str = Reason


class PartyPick(Body):
    mediator_id: RowId | None = Field(default=None, title="调解员（空：由中心安排）")
    mode: Mode = "onsite"


class Recommending(Query):
    language: str | None = Field(default=None, max_length=16, title="语言")
    remote: bool | None = Field(default=None, title="当事人不便出行")


class Week(Query):
    start: str | None = Field(default=None, alias="from", max_length=40, title="起始日期")
    days: int = Field(default=7, title="天数（1–62）")


class Year(Query):
    year: int | None = Field(default=None, ge=YEARS[0], le=YEARS[1], title="年份")


class Entry(Body):
    """One organisation or mediator: the columns of the registry CSV (see docs/booking.md);
    lists may be sent as arrays."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32, title="编号")
    name: str = Field(min_length=1, max_length=128, title="名称")


# --- responses ---------------------------------------------------------------------------------
class SlotView(BaseModel):
    id: int
    starts_at: str | None
    ends_at: str | None
    when: str = Field(description="the time in words, local")


class PartyView(BaseModel):
    id: int
    role: str
    role_name: str
    name: str = Field(description="masked for the other parties")
    consented: bool
    confirmed: bool
    reschedule_reason: str | None
    no_show: bool | None
    link: str | None = Field(default=None, description="staff only: the party's booking link")


class MediatorRef(BaseModel):
    id: int
    name: str
    title: str | None


class RecommendedMediator(BaseModel):
    """A recommended mediator the applicant may pick."""

    id: int
    name: str
    organisation: str | None
    languages: list[str]
    region: str | None
    score: float
    components: dict[str, float]
    reasons: list[str]
    first_slot: str | None


class BookingRole(BaseModel):
    role: str
    role_name: str


class BookingView(BaseModel):
    """A booking as staff and the mediator see it (names, links, notes)."""

    id: int
    case: str
    type_name: str | None
    status: str
    status_name: str
    version: int
    mediator: MediatorRef
    mediator_accepted: bool
    starts_at: str | None
    ends_at: str | None
    when: str | None
    mode: str
    mode_name: str
    place: str | None
    reason: str | None
    notes: str | None
    outcome: str | None
    outcome_name: str | None
    slots: list[SlotView]
    parties: list[PartyView]


class PartyBooking(BaseModel):
    """A party's view: their booking with names masked and ``me``; before anything is booked,
    ``id`` is null, ``status`` is none and the applicant gets ``choices`` of mediators."""

    id: int | None
    case: str
    type_name: str | None
    status: str
    status_name: str
    me: PartyView | BookingRole
    version: int | None = None
    mediator: MediatorRef | None = None
    mediator_accepted: bool | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    when: str | None = None
    mode: str | None = None
    mode_name: str | None = None
    place: str | None = None
    reason: str | None = None
    notes: str | None = None
    outcome: str | None = None
    outcome_name: str | None = None
    slots: list[SlotView] = Field(default_factory=list)
    parties: list[PartyView] = Field(default_factory=list)
    choices: list[RecommendedMediator] = Field(default_factory=list)
