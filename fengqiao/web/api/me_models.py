"""What the resident's own space answers (web/api/me.py, me_booking.py, messages.py): typed,
so the mini-program's TypeScript client, generated from the OpenAPI, knows every field."""

from __future__ import annotations

from pydantic import BaseModel, Field

from fengqiao.web.kit.models import Body
from fengqiao.web.params import RowId


class Step(BaseModel):
    status: str
    name: str
    description: str
    at: str


class MyCase(BaseModel):
    code: str
    type_name: str
    status: str
    status_name: str
    role: str
    role_name: str
    filed_at: str
    stage: str = Field(title="最新进展（状态或调解的一步）")
    stage_name: str


class Me(BaseModel):
    channel: str
    cases: int


class MyCases(BaseModel):
    cases: list[MyCase]


class Ticket(BaseModel):
    ticket: str = Field(title="一次性票据：web-view 打开 /h5/…?ticket= 时使用")
    expires_in: int


class BookingSlot(BaseModel):
    id: int
    starts_at: str | None
    ends_at: str | None
    when: str


class BookingParty(BaseModel):
    id: int
    role: str
    role_name: str
    name: str
    consented: bool
    confirmed: bool


class BookingMe(BaseModel):
    id: int | None = None
    role: str
    role_name: str
    consented: bool = False
    confirmed: bool = False


class BookingMediator(BaseModel):
    id: int
    name: str
    title: str | None = None


class MediatorChoice(BaseModel):
    id: int
    name: str
    organisation: str | None = None
    reasons: list[str] = []
    first_slot: str | None = None


class MyBooking(BaseModel):
    """The party's booking (or, before one, the applicant's choice of mediators) and what
    the party may do now: confirm, reschedule (choose another time), mediator (choose one)."""

    id: int | None
    case: str
    type_name: str
    status: str
    status_name: str
    me: BookingMe
    mediator: BookingMediator | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    when: str | None = None
    mode: str | None = None
    mode_name: str | None = None
    place: str | None = None
    reason: str | None = None
    slots: list[BookingSlot] = []
    parties: list[BookingParty] = []
    choices: list[MediatorChoice] = []
    actions: list[str] = Field(title="confirm | reschedule | mediator")
    page: str = Field(title="这一页在小程序 web-view 中的地址（加 ?ticket=）")


class RoomLink(BaseModel):
    url: str = Field(title="进入视频调解室的地址（含本人入室令牌，限本次调解时段）")
    role: str
    opens_at: str
    closes_at: str


class ToSign(BaseModel):
    code: str
    title: str
    status: str
    my_turn: bool
    sign_page: str


class Delivered(BaseModel):
    code: str
    title: str
    status: str
    sent_at: str | None
    read_at: str | None
    acknowledged_at: str | None
    delivery_page: str


class Consent(BaseModel):
    text: str = Field(title="送达地址确认书全文：同意前展示")
    consented_at: str | None


class EvidenceNote(BaseModel):
    id: int
    text: str
    author_name: str
    created_at: str


class MyEvidence(BaseModel):
    id: int
    name: str | None
    kind: str
    kind_name: str
    created_at: str
    file_url: str
    comments: list[EvidenceNote]


class MyCaseDetail(BaseModel):
    code: str
    status: str
    status_name: str
    stage: str
    stage_name: str
    type_name: str
    filed_at: str
    next_deadline: str | None
    steps: list[Step]
    my_role: str
    my_role_name: str
    booking: MyBooking
    room: RoomLink | None
    to_sign: list[ToSign]
    delivered: list[Delivered]
    consent: Consent
    evidence: list[MyEvidence] = Field(title="我提交的证据及对方的质证意见")
    messages_url: str


class Confirm(Body):
    slot_id: RowId = Field(title="所选时间")
    consent: bool = Field(default=False, title="同意参加调解")


class Reschedule(Body):
    reason: str = Field(max_length=2000, title="原因")


class PickMediator(Body):
    mediator_id: RowId | None = Field(default=None, title="调解员（空：推荐的第一位）")
    mode: str = Field(default="onsite", max_length=16, title="onsite | video")


class Message(BaseModel):
    id: int
    party_id: int | None
    side: str = Field(title="party：当事人 | staff：调解员")
    author_name: str
    text: str
    image_url: str | None
    created_at: str


class ThreadParty(BaseModel):
    id: int
    role: str
    name: str


class Thread(BaseModel):
    messages: list[Message]
    parties: list[ThreadParty] = Field(title="工作人员：案件的当事人，用于选择回复对象")


class NewMessage(Body):
    text: str = Field(max_length=2000, title="留言")
    party_id: RowId | None = Field(default=None, title="工作人员回复的当事人")
