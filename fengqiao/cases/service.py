"""The one case service: every edge (chat, mini-program, console) files and reads cases here."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from fengqiao.cases import audit, codes, identity, milestones, notify, outbox, statuses, texts
from fengqiao.cases.errors import ActionRefused, CaseNotFound
from fengqiao.cases.identity import IdentityMixin
from fengqiao.cases.parties import PartiesMixin
from fengqiao.cases.queries import QueryMixin
from fengqiao.cases.revisit import RevisitMixin
from fengqiao.cases.rules import LOCAL_TZ, load_config
from fengqiao.cases.subscriptions import SubscriptionsMixin
from fengqiao.storage import prepared
from fengqiao.storage.db import Database
from fengqiao.storage.models import (
    AuditEntry,
    Case,
    CaseFile,
    CaseParty,
    CaseState,
    Person,
    PersonChannel,
    utcnow,
)

__all__ = ["ActionRefused", "CaseNotFound", "CaseService", "FiledCase", "NewCase", "PartyInfo"]


@dataclass
class PartyInfo:
    name: str | None = None
    phone: str | None = None
    openid: str | None = None
    channel: str = "console"


@dataclass
class NewCase:
    description: str
    channel: str
    actor: str
    type_code: str
    type_name: str
    risk: str
    confidence: float = 0.0
    risk_reasons: list[str] = field(default_factory=list)
    department: str | None = None
    applicant: PartyInfo = field(default_factory=PartyInfo)
    respondent: PartyInfo | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    transcript: list[Any] = field(default_factory=list)
    region: str | None = None
    intake_key: str | None = None
    privacy_consent_at: datetime | None = None


@dataclass(frozen=True)
class FiledCase:
    id: int
    code: str
    status: str
    risk: str
    created: bool  # False when a retried submission found the case it had already made
    deadline_at: datetime | None = None
    # The applicant's case party, for their case link (None when a retry found the case).
    applicant_party_id: int | None = None


def load_deadline_days(config_dir: Path) -> dict[str, int]:
    path = config_dir / "deadlines.toml"
    data = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    days = {"red": 0, "yellow": 1, "blue": 30}
    days.update({k: int(v) for k, v in data.get("days_by_risk", {}).items()})
    return days


def _person_upsert(dialect: Any) -> Any:
    """Find-or-create a person by (channel, openid) in one statement, keeping known details
    that this filing leaves out."""
    people = Person.__table__
    stmt = dialect.insert(people)
    keep = ("name", "phone", "privacy_consent_at")
    return stmt.on_conflict_do_update(
        index_elements=[people.c.channel, people.c.openid],
        set_={c: func.coalesce(stmt.excluded[c], people.c[c]) for c in keep},
    ).returning(people.c.id)


def _channel_insert(dialect: Any) -> Any:
    channels = PersonChannel.__table__
    return dialect.insert(channels).on_conflict_do_nothing(
        index_elements=[channels.c.kind, channels.c.address]
    )


_PEOPLE = cast(Table, Person.__table__)
_CHANNELS = cast(Table, PersonChannel.__table__)
# Filing is the hot write of every intake: its statements are built once, and each execution
# only binds values (building a statement with .values() costs more than running it).
_PERSON_UPSERT = {"sqlite": _person_upsert(sqlite), "postgresql": _person_upsert(postgresql)}
_CHANNEL_INSERT = {"sqlite": _channel_insert(sqlite), "postgresql": _channel_insert(postgresql)}
# The person a channel belongs to (fengqiao.cases.identity): after a unionid joined two
# records, the mini-program openid may belong to a person first met on the official account.
_PERSON_OF_CHANNEL = select(_CHANNELS.c.person_id).where(
    _CHANNELS.c.kind == bindparam("kind"), _CHANNELS.c.address == bindparam("address")
)
_PERSON_UPDATE = (
    update(_PEOPLE)
    .where(_PEOPLE.c.id == bindparam("pid"))
    .values(
        name=func.coalesce(bindparam("new_name"), _PEOPLE.c.name),
        phone=func.coalesce(bindparam("new_phone"), _PEOPLE.c.phone),
        privacy_consent_at=func.coalesce(
            bindparam("new_consent", type_=_PEOPLE.c.privacy_consent_at.type),
            _PEOPLE.c.privacy_consent_at,
        ),
    )
)
_CASES = cast(Table, Case.__table__)  # declarative's annotation says FromClause
_INSERT_CASE = insert(_CASES).returning(_CASES.c.id)
_INSERT_STATE = insert(cast(Table, CaseState.__table__))
_INSERT_PARTY = insert(cast(Table, CaseParty.__table__))
_INSERT_PARTY_ID = _INSERT_PARTY.returning(cast(Table, CaseParty.__table__).c.id)


class CaseService(IdentityMixin, SubscriptionsMixin, PartiesMixin, RevisitMixin, QueryMixin):
    def __init__(
        self,
        db: Database,
        config_dir: Path,
        *,
        public_url: str = "http://127.0.0.1:8080",
        hotline: str = "12345",
    ) -> None:
        self.db = db
        self.config = load_config(config_dir)
        self.deadline_days = self.config.days_by_risk
        self.public_url = public_url
        self.hotline = hotline

    def deadline_for(self, risk: str, now: datetime, type_code: str = "") -> datetime:
        """Red: today (local); yellow: next day; others within N days, end of local day."""
        days = self.config.deadline_days(risk, type_code)
        local = now.astimezone(LOCAL_TZ).date() + timedelta(days=days)
        return datetime.combine(local, time(23, 59, 59), LOCAL_TZ).astimezone(now.tzinfo)

    @staticmethod
    def _person_id(
        conn: Connection, party: PartyInfo, consent_at: datetime | None = None
    ) -> int | None:
        if not party.openid:
            return None
        known = prepared.scalar(
            conn, _PERSON_OF_CHANNEL, {"kind": party.channel, "address": party.openid}
        )
        if known is not None:
            prepared.execute(
                conn,
                _PERSON_UPDATE,
                {
                    "pid": known,
                    "new_name": party.name or None,
                    "new_phone": party.phone or None,
                    "new_consent": consent_at,
                },
            )
            return int(known)
        now = utcnow()
        person_id = prepared.scalar(
            conn,
            _PERSON_UPSERT[conn.dialect.name],
            {
                "channel": party.channel,
                "openid": party.openid,
                "name": party.name or None,
                "phone": party.phone or None,
                "privacy_consent_at": consent_at,
                "created_at": now,
            },
        )
        if party.channel in identity.WRITES_FROM:
            prepared.execute(
                conn,
                _CHANNEL_INSERT[conn.dialect.name],
                {
                    "person_id": person_id,
                    "kind": party.channel,
                    "address": party.openid,
                    "created_at": now,
                },
            )
        return int(person_id)

    async def file_case(self, new: NewCase) -> FiledCase:
        """Create a case in status 受理. Idempotent on `intake_key`: a retried submission
        (two workers, a crash before the reply) returns the case the first one made."""
        now = utcnow()
        for _attempt in range(5):  # a random code may, very rarely, already exist
            try:
                if new.risk != "red":
                    return await self.db.write(self._insert_rows, new, now)
                async with self.db.transaction() as session:  # the alert goes through the ORM
                    return await self._insert_red(session, new, now)
            except IntegrityError:
                if new.intake_key:
                    existing = await self._by_intake_key(new.intake_key)
                    if existing is not None:
                        return existing
        raise RuntimeError("could not allocate a unique case code")

    async def _insert_red(self, session: Any, new: NewCase, now: datetime) -> FiledCase:
        """A red filing: its rows and the leaders' alert in one transaction."""
        conn = await session.connection()
        filed = await conn.run_sync(self._insert_rows, new, now)
        case = await session.get(Case, filed.id)
        await self._red_alert(session, case, new.actor, now)
        return filed

    def _insert_rows(self, conn: Connection, new: NewCase, now: datetime) -> FiledCase:
        """The filing's rows, as Core statements on one connection (see `Database.write`):
        a hop into SQLAlchemy's greenlet per statement cost more than the statements, and on
        SQLite they run on its cursor (see storage/prepared)."""
        applicant_id = self._person_id(conn, new.applicant, new.privacy_consent_at)
        code = codes.new_code(now.astimezone(LOCAL_TZ))
        deadline = self.deadline_for(new.risk, now, new.type_code)
        case_id = prepared.scalar(
            conn,
            _INSERT_CASE,
            {
                "code": code,
                "status": statuses.ACCEPTED,
                "type_code": new.type_code,
                "type_name": new.type_name,
                "confidence": new.confidence,
                "risk": new.risk,
                "risk_reasons": list(new.risk_reasons),
                "description": new.description,
                "answers": dict(new.answers),
                "transcript": list(new.transcript),
                "channel": new.channel,
                "applicant_id": applicant_id,
                "department": new.department,
                "region": new.region,
                "intake_key": new.intake_key,
                "created_at": now,
                "updated_at": now,
                "deadline_at": deadline,
            },
        )
        prepared.execute(
            conn,
            _INSERT_STATE,
            {
                "case_id": case_id,
                "escalation": 0,
                "supervised": False,
                "month": f"{now.astimezone(LOCAL_TZ):%Y-%m}",
            },
        )
        applicant_party_id = prepared.scalar(
            conn,
            _INSERT_PARTY_ID,
            {
                "case_id": case_id,
                "person_id": applicant_id,
                "role": "applicant",
                "name": new.applicant.name,
                "phone": new.applicant.phone,
            },
        )
        if new.respondent and (new.respondent.name or new.respondent.phone):
            prepared.execute(
                conn,
                _INSERT_PARTY,
                {
                    "case_id": case_id,
                    # Known to WeChat only when staff file for someone who uses it (the demo).
                    "person_id": self._person_id(conn, new.respondent),
                    "role": "respondent",
                    "name": new.respondent.name,
                    "phone": new.respondent.phone,
                },
            )
        audit.append_sync(
            conn,
            case_id=case_id,
            actor=new.actor,
            action="case.filed",
            detail={
                "status": statuses.ACCEPTED,
                "channel": new.channel,
                "type": new.type_code,
                "risk": new.risk,
                "privacy_consent_at": new.privacy_consent_at.isoformat()
                if new.privacy_consent_at
                else None,
            },
            at=now,
        )
        return FiledCase(
            case_id, code, statuses.ACCEPTED, new.risk, True, deadline, int(applicant_party_id)
        )

    async def _red_alert(self, session: Any, case: Case, actor: str, now: datetime) -> None:
        """红色风险: an immediate alert to the leaders, in the filing transaction."""
        leaders = await notify.staff_recipients(
            session, assignee=None, organisation=None, leaders=True
        )
        doc_id = await notify.issue_document(
            session,
            case=case,
            kind="red_alert",
            dedupe_key=f"red_alert:{case.id}",
            issued_by="system",
            recipients=leaders,
            fallback_recipient=texts.LEADERS,
            fields={
                "code": case.code,
                "type_name": case.type_name,
                "reasons": "；".join(case.risk_reasons) or statuses.RISK_NAMES["red"],
            },
            public_url=self.public_url,
            at=now,
        )
        await audit.append(
            session,
            case_id=case.id,
            actor="system",
            action="supervision.red_alert",
            detail={"document_id": doc_id, "trigger": actor},
            at=now,
        )

    async def _by_intake_key(self, key: str) -> FiledCase | None:
        async with self.db.read() as session:
            case = await session.scalar(select(Case).where(Case.intake_key == key))
            if case is None:
                return None
            return FiledCase(case.id, case.code, case.status, case.risk, False, case.deadline_at)

    async def get(self, code: str) -> Case:
        canonical = codes.normalise(code)
        if canonical is None:
            raise CaseNotFound(code)
        async with self.db.read() as session:
            case = await session.scalar(select(Case).where(Case.code == canonical))
        if case is None:
            raise CaseNotFound(code)
        return case

    async def progress(self, code: str) -> dict[str, Any]:
        """Public progress: status, steps with times, next deadline. No personal data."""
        case = await self.get(code)
        async with self.db.read() as session:
            entries = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id)
                )
            ).all()
        steps, reached = [], set()
        for entry in entries:
            status = entry.detail.get("status") if isinstance(entry.detail, dict) else None
            at = entry.created_at.astimezone(LOCAL_TZ).isoformat()
            if status in statuses.NAMES:
                steps.append(
                    {
                        "status": status,
                        "name": statuses.NAMES[status],
                        "description": statuses.DESCRIPTIONS[status],
                        "at": at,
                    }
                )
            elif (step := milestones.BY_ACTION.get(entry.action)) and step.key not in reached:
                reached.add(step.key)
                steps.append(
                    {"status": step.key, "name": step.name, "description": step.description,
                     "at": at}
                )
        open_case = case.status not in (statuses.ARCHIVED, statuses.WITHDRAWN, statuses.MERGED)
        return {
            "code": case.code,
            "status": case.status,
            "status_name": statuses.NAMES.get(case.status, case.status),
            "type": case.type_code,
            "type_name": case.type_name,
            "filed_at": case.created_at.astimezone(LOCAL_TZ).isoformat(),
            "steps": steps,
            # The latest step reached: the status, or a later step of the mediation itself.
            "stage": steps[-1]["status"] if steps else case.status,
            "stage_name": steps[-1]["name"] if steps else statuses.NAMES.get(case.status, ""),
            "next_deadline": (
                case.deadline_at.astimezone(LOCAL_TZ).isoformat()
                if case.deadline_at and open_case
                else None
            ),
        }

    async def cases_of(self, channel: str, openid: str) -> list[Case]:
        """A resident's own cases, newest first: every case the person behind (channel,
        openid) is a party of, applicant or respondent (cases.identity)."""
        person = select(PersonChannel.person_id).where(
            PersonChannel.kind == channel, PersonChannel.address == openid
        )
        party = select(CaseParty.case_id).where(CaseParty.person_id.in_(person))
        async with self.db.read() as session:
            rows = await session.scalars(
                select(Case).where(Case.id.in_(party)).order_by(Case.id.desc())
            )
            return list(rows.all())

    async def party_of(self, case_id: int, channel: str, openid: str) -> int | None:
        """The party of ``case_id`` whose person writes from (channel, openid), if any: the
        party a case link (cases.case_link) is made for."""
        person = select(PersonChannel.person_id).where(
            PersonChannel.kind == channel, PersonChannel.address == openid
        )
        async with self.db.read() as session:
            found = await session.scalar(
                select(CaseParty.id)
                .where(CaseParty.case_id == case_id, CaseParty.person_id.in_(person))
                .order_by(CaseParty.id)
                .limit(1)
            )
        return int(found) if found is not None else None

    async def handle_template_event(self, msg_id: int | str, status: str) -> bool:
        """TEMPLATESENDJOBFINISH from the official account: record the delivery status."""
        return await outbox.handle_template_event(self.db, msg_id, status)

    async def verify_audit(self) -> audit.ChainReport:
        async with self.db.read() as session:
            return await audit.verify_chain(session)

    async def add_file(
        self,
        code: str,
        *,
        kind: str,
        key: str,
        sha256: str,
        mime: str,
        size: int,
        submitted_by: str,
        ref: str | None = None,
        original_name: str | None = None,
        visibility: str = "parties",
    ) -> int:
        """Record a stored file on a case. Idempotent on `ref` (e.g. a WeChat MsgId)."""
        case = await self.get(code)
        async with self.db.transaction() as session:
            if ref:
                existing = await session.scalar(
                    select(CaseFile.id).where(CaseFile.source_ref == ref)
                )
                if existing is not None:
                    return int(existing)
            row = CaseFile(
                case_id=case.id,
                kind=kind,
                file_key=key,
                sha256=sha256,
                mime=mime,
                size=size,
                original_name=original_name,
                submitted_by=submitted_by,
                visibility=visibility,
                source_ref=ref,
            )
            session.add(row)
            await session.flush()
            await audit.append(
                session,
                case_id=case.id,
                actor=submitted_by,
                action="file.added",
                detail={"kind": kind, "sha256": sha256, "mime": mime, "size": size},
            )
            return row.id
