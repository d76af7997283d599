"""SQLAlchemy models. Storage knows no rules: the services in cases/, booking/ ... hold them.

size: one module of declarations, one class per table and nothing else, so that the whole
schema reads in one place beside its migrations; splitting it by package would only scatter
the foreign keys that tie the tables together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns aware datetimes (SQLite would drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Person(Base):
    """Someone who takes part in cases: a resident known by WeChat openid or registered by staff."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "openid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # mp, wxa, console, cli
    openid: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    id_number: Mapped[str | None] = mapped_column(String(32))
    privacy_consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonChannel(Base):
    """One way to reach a person (revision 0008_identity): an official-account openid (mp), a
    mini-program openid (wxa), the unionid WeChat gives for both when the accounts share an
    open platform, or a verified phone. A channel belongs to one person; a person has many."""

    __tablename__ = "person_channels"
    __table_args__ = (UniqueConstraint("kind", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # mp, wxa, unionid, phone
    address: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubscriptionGrant(Base):
    """What a mini-program user answered to wx.requestSubscribeMessage for one template: an
    accepted one-time subscription allows one subscribe message, then it is used."""

    __tablename__ = "subscription_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))  # the mini-program openid
    template_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # progress, booking, reminder, signing, ...
    answer: Mapped[str] = mapped_column(String(16))  # accept, reject, ban, filter
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(64))  # which notice used it


Index(
    "ix_subscription_grants_openid_template",
    SubscriptionGrant.openid,
    SubscriptionGrant.template_id,
    SubscriptionGrant.used_at,
)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    type_code: Mapped[str] = mapped_column(String(32), index=True)
    type_name: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(default=0.0)
    risk: Mapped[str] = mapped_column(String(8), index=True)
    risk_reasons: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    transcript: Mapped[list[Any]] = mapped_column(default=list)
    channel: Mapped[str] = mapped_column(String(16))
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    department: Mapped[str | None] = mapped_column(String(64))
    organisation: Mapped[str | None] = mapped_column(String(128))
    region: Mapped[str | None] = mapped_column(String(64))
    # Idempotency key of the submission that created the case: a retried submit finds it.
    intake_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deadline_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class CaseParty(Base):
    __tablename__ = "case_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # applicant, respondent, agent
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    # Completed by staff (migration 0006_lead_parties): what an agreement needs of a party.
    id_number: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(255))
    agent: Mapped[str | None] = mapped_column(String(64))
    # The generation of the party's case link (migration 0010_party_links): a link carries the
    # generation it was made in, and one made before the newest is void (cases/case_link.py).
    link_generation: Mapped[int] = mapped_column(Integer, server_default="0")


class CaseFile(Base):
    """A file on a case: evidence, recording, agreement. Bytes live in the file store."""

    __tablename__ = "case_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # evidence, recording, agreement, certificate
    file_key: Mapped[str] = mapped_column(String(255), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(96))
    size: Mapped[int]
    original_name: Mapped[str | None] = mapped_column(String(255))
    submitted_by: Mapped[str] = mapped_column(String(96))
    visibility: Mapped[str] = mapped_column(String(16), default="parties")
    source_ref: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Append-only, hash-chained record of every change: editing a row breaks the chain."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    actor: Mapped[str] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(48))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# --- documents: evidence details, agreements, signing, e-delivery (migration 0003) ----------
# Evidence bytes are described by case_files; these columns are added to it by 0003. They are
# attached here, after the class, so the foundation's class body stays as it is.
CaseFile.thumbnail_key = mapped_column(String(255), nullable=True)  # type: ignore[attr-defined]
CaseFile.width = mapped_column(Integer, nullable=True)  # type: ignore[attr-defined]
CaseFile.height = mapped_column(Integer, nullable=True)  # type: ignore[attr-defined]
CaseFile.party_id = mapped_column(  # type: ignore[attr-defined]
    ForeignKey("case_parties.id"), nullable=True
)
CaseFile.channel = mapped_column(String(16), nullable=True)  # type: ignore[attr-defined]


class EvidenceComment(Base):
    """A party's (or the mediator's) comment on a piece of evidence: 质证意见."""

    __tablename__ = "evidence_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_file_id: Mapped[int] = mapped_column(
        ForeignKey("case_files.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))
    author: Mapped[str] = mapped_column(String(96))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseMessage(Base):
    """A message between a party and the case's mediator (text, or an image kept in
    case_files as kind "message"); every one is also in the case's audit log."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))  # the party's
    side: Mapped[str] = mapped_column(String(16))  # party | staff: who wrote it
    author: Mapped[str] = mapped_column(String(96))  # party:<id> or staff:<username>
    author_name: Mapped[str] = mapped_column(String(128), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("case_files.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Document(Base):
    """A document issued on a case: the agreement (draft, signing, sealed) and the like."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # agreement
    status: Mapped[str] = mapped_column(String(16))  # draft, signing, sealed, void
    title: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_key: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None]
    sealed_at: Mapped[datetime | None]
    # People's Mediation Law art. 33: judicial confirmation within 30 days of taking effect.
    judicial_deadline_at: Mapped[datetime | None]


class DocumentSlot(Base):
    """One signature field of a document, in signing order, and who is to sign it."""

    __tablename__ = "document_slots"
    __table_args__ = (UniqueConstraint("document_id", "field_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    field_name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))  # party, mediator, seal
    signer_key: Mapped[str] = mapped_column(String(96))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))
    name: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(255))
    signed_at: Mapped[datetime | None]
    signed_sha256: Mapped[str | None] = mapped_column(String(64))


class DocumentEvent(Base):
    """What happened to a document, for the audit certificate: who, when, from where."""

    __tablename__ = "document_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(96))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    doc_sha256: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceConsent(Base):
    """送达地址确认书: a party agrees to electronic service at a designated address."""

    __tablename__ = "service_consents"
    # One row per consent given (revision 0006_docs): the latest is the one in force.

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    channel: Mapped[str] = mapped_column(String(16))  # wechat
    address: Mapped[str] = mapped_column(String(96))  # openid (shown masked)
    phone: Mapped[str | None] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    wording: Mapped[str | None] = mapped_column(Text)  # the exact text the party agreed to
    wording_sha256: Mapped[str | None] = mapped_column(String(64))


class Delivery(Base):
    """One attempt to serve one document on one party (never rewritten: a new attempt is a
    new row), with each step's time as WeChat and the recipient's actions report them."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    recipient: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(96))
    status: Mapped[str] = mapped_column(String(16))  # sent, delivered, read, failed
    message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    doc_sha256: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]
    paper_requested_at: Mapped[datetime | None]
    paper_address: Mapped[str | None] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    consent_id: Mapped[int | None]
    failure: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    paper_task_at: Mapped[datetime | None]  # unopened: handed to staff for paper service


# Console filters and the overdue scan over a million cases (revision 0002).
Index("ix_cases_organisation_id", Case.organisation, Case.id)
Index("ix_cases_status_deadline", Case.status, Case.deadline_at)
Index("ix_case_parties_name", CaseParty.name, postgresql_ops={"name": "varchar_pattern_ops"})


# --- Case lifecycle (cases/ branch): tasks, documents, outbox, revisits, staff -----------------


class CaseState(Base):
    """Lifecycle fields of a case, one row per case, kept beside `cases` so the foundation table
    stays as it was. Filter columns are denormalised here for the console list and statistics."""

    __tablename__ = "case_state"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str | None] = mapped_column(String(16))  # success, partial, failed
    referral: Mapped[str | None] = mapped_column(String(32))  # 七步走 path when mediation fails
    referral_body: Mapped[str | None] = mapped_column(String(128))  # the receiving body
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    assignee: Mapped[str | None] = mapped_column(String(64))  # username of the person responsible
    # 0 none, 1 提醒函, 2 预警单, 3 督办令
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    supervised: Mapped[bool] = mapped_column(default=False)  # reopened by a poor revisit
    satisfaction: Mapped[str | None] = mapped_column(String(16))  # satisfied, basic, unsatisfied
    cycle_hours: Mapped[float | None]  # filing to closure
    month: Mapped[str] = mapped_column(String(7), index=True)  # local YYYY-MM of filing


class CaseTask(Base):
    """吹哨报到: one department's share of a co-handled case, with its own deadline and report."""

    __tablename__ = "case_tasks"
    __table_args__ = (UniqueConstraint("case_id", "department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    instruction: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, reported
    deadline_at: Mapped[datetime]
    report: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str | None] = mapped_column(String(96))
    reported_at: Mapped[datetime | None]
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseDocument(Base):
    """A supervision document on a case (提醒函, 预警单, 督办令, red alert, daily report).
    `dedupe_key` is unique: two scheduler workers can never issue the same document twice."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(String(128))
    issued_by: Mapped[str] = mapped_column(String(96))
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxMessage(Base):
    """Transactional outbox: written in the same transaction as the change it announces, sent
    later by the dispatcher with retries, so neither a WeChat outage nor a crash loses it."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # mp (template), wxa (subscribe)
    openid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))  # status, revisit, supervision
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    msgid: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery: Mapped[str | None] = mapped_column(String(48))  # TEMPLATESENDJOBFINISH status
    last_error: Mapped[str | None] = mapped_column(String(255))
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # Revision 0008_identity: "wxa→mp：…" when the notice went by another channel of the
    # person than the one it was queued for, and why.
    fallback: Mapped[str | None] = mapped_column(String(128))


class Revisit(Base):
    """回访: a satisfaction question after closure, answered in the chat or by a staff call."""

    __tablename__ = "case_revisits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str | None] = mapped_column(String(16))
    openid: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16), default="chat")  # chat, sample (staff call)
    month: Mapped[str | None] = mapped_column(String(7))
    level: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(96))


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # staff, mediator, leader, admin
    organisation: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    openid: Mapped[str | None] = mapped_column(String(64))  # for supervision notices on WeChat
    # Where a one-time code goes when this person signs as mediator or applies the seal.
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Console sessions started before this are over (set on disable and password reset).
    sessions_from: Mapped[datetime | None] = mapped_column(default=None)


class CaseStat(Base):
    """Statistics rollup, rebuilt by the scheduler so the dashboard reads a few hundred rows
    instead of scanning every case. One row per (dimension, key), e.g. ("type", "labor")."""

    __tablename__ = "case_stats"

    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    cycle_hours_sum: Mapped[float] = mapped_column(default=0.0)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- booking: organisations, mediators, availability, bookings (migration 0004) -------------


class Organisation(Base):
    """A mediation organisation or docking unit; routing rules point at it by `code`."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # committee, professional, court, police ...
    region: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mediator(Base):
    __tablename__ = "mediators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)  # console login
    openid: Mapped[str | None] = mapped_column(String(64))  # WeChat reminders
    phone: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(32))  # 人民调解员, 律师, 法官 ...
    skills: Mapped[list[Any]] = mapped_column(default=list)  # dispute type codes
    languages: Mapped[list[Any]] = mapped_column(default=list)  # 普通话, 藏语, 方言 ...
    region: Mapped[str | None] = mapped_column(String(64), index=True)
    capacity: Mapped[int] = mapped_column(Integer, default=8)  # open bookings at most
    subsidy_fen: Mapped[int] = mapped_column(Integer, default=0)  # 一案一补, per case
    rating: Mapped[float | None]  # imported prior satisfaction, 1..5
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active, leave
    ics_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediatorHours(Base):
    """Weekly hours in local time (Asia/Shanghai); weekday 0 = Monday."""

    __tablename__ = "mediator_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    end_minute: Mapped[int] = mapped_column(Integer)


class MediatorAbsence(Base):
    """Leave, training, a court day: time the weekly hours do not apply."""

    __tablename__ = "mediator_absences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(128), default="")


class Booking(Base):
    """A mediation session. While `status` is pending or confirmed it holds the mediator's time:
    PostgreSQL excludes overlaps per mediator, SQLite triggers do the same (migration 0004)."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    mode: Mapped[str] = mapped_column(String(16), default="onsite")  # onsite, video
    place: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on each new time
    mediator_accepted_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(255))  # last decline/cancel/reschedule
    notes: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))  # agreed, failed, withdrawn
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]


class BookingSlot(Base):
    """A time offered to the parties while the booking is being arranged."""

    __tablename__ = "booking_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class BookingParty(Base):
    """One party's answer: consent to mediation, the confirmed time, a reschedule request."""

    __tablename__ = "booking_parties"
    __table_args__ = (UniqueConstraint("booking_id", "case_party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    case_party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_version: Mapped[int | None] = mapped_column(Integer)
    reschedule_reason: Mapped[str | None] = mapped_column(String(255))
    no_show: Mapped[bool] = mapped_column(default=False)


class Room(Base):
    """The video room of a booking (one per booking); the live session is in mediation_room."""

    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, unguessable
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomMessage(Base):
    """Text chat and evidence comments (质证) said in a room, kept with the case."""

    __tablename__ = "room_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # chat, comment
    text: Mapped[str] = mapped_column(Text)
    evidence_id: Mapped[str | None] = mapped_column(String(64))
    audience: Mapped[list[Any]] = mapped_column(default=list)
    sent_at: Mapped[datetime]
