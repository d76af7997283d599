"""回访: after closure the parties are asked for their satisfaction in the chat; 基本满意 or
below sends the case back under supervision. Each month a random sample per organisation is
drawn for staff to call."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, text

from fengqiao.cases import audit, codes, notify, statuses, texts
from fengqiao.cases.actions import LifecycleMixin
from fengqiao.cases.errors import ActionRefused, CaseNotFound
from fengqiao.cases.rules import LOCAL_TZ
from fengqiao.storage.models import Case, CaseState, Revisit, utcnow

POOR = (statuses.BASIC, statuses.UNSATISFIED)
_SAMPLE_LOCK = 0x46510003


@dataclass(frozen=True)
class RevisitQuestion:
    code: str
    revisit_id: int
    text: str


@dataclass(frozen=True)
class RevisitResult:
    code: str
    level: str
    reopened: bool
    reply: str


def parse_satisfaction(text: str) -> tuple[str, str] | None:
    """("basic", "comment") for "基本满意，调解员很耐心"; None if the text is not an answer."""
    stripped = text.strip()
    # Longest names first: "满意" is inside both other answers.
    for name in ("基本满意", "不满意", "满意"):
        if stripped.startswith(name):
            comment = stripped[len(name) :].lstrip("，,。.；;：: ")
            return statuses.SATISFACTION_FROM_TEXT[name], comment
    return None


def normalise_level(level: str) -> str:
    level = level.strip()
    if level in statuses.SATISFACTION:
        return level
    if level in statuses.SATISFACTION_FROM_TEXT:
        return statuses.SATISFACTION_FROM_TEXT[level]
    raise ActionRefused("bad_level", "请回复：满意 / 基本满意 / 不满意")


class RevisitMixin(LifecycleMixin):
    async def _ask_revisit(
        self, session: Any, case: Case, outcome_text: str, change_id: int, now: datetime
    ) -> None:
        month = f"{now.astimezone(LOCAL_TZ):%Y-%m}"
        for channel, openid in await notify.resident_recipients(session, case.id):
            session.add(
                Revisit(
                    case_id=case.id,
                    channel=channel,
                    openid=openid,
                    source="chat",
                    month=month,
                    asked_at=now,
                )
            )
        await notify.enqueue_status(
            session,
            case,
            event="revisit",
            change_id=change_id,
            remark=texts.REVISIT_REMARK,
            public_url=self.public_url,
            at=now,
            kind="revisit",
        )

    async def pending_revisit(self, channel: str, openid: str) -> RevisitQuestion | None:
        """The revisit question a resident has not answered yet, for the chat to ask."""
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(Revisit.id, Case.code, CaseState.outcome)
                    .join(Case, Case.id == Revisit.case_id)
                    .join(CaseState, CaseState.case_id == Case.id)
                    .where(
                        Revisit.channel == channel,
                        Revisit.openid == openid,
                        Revisit.answered_at.is_(None),
                        Case.status.in_((statuses.FEEDBACK, statuses.ARCHIVED)),
                    )
                    .order_by(Revisit.id.desc())
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        revisit_id, code, outcome = row
        text = texts.REVISIT_QUESTION.format(
            code=code, outcome=statuses.OUTCOMES.get(outcome or "", "已办结")
        )
        return RevisitQuestion(code=code, revisit_id=int(revisit_id), text=text)

    async def record_satisfaction(
        self,
        code: str,
        openid: str | None,
        level: str,
        comment: str | None = None,
        *,
        actor: str | None = None,
    ) -> RevisitResult:
        """Record a party's answer. From the chat pass the resident's openid; from a staff
        call pass openid=None and actor="staff:<name>" (answers the monthly sample row)."""
        level = normalise_level(level)
        now = utcnow()
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            query = select(Revisit).where(Revisit.case_id == case.id, Revisit.answered_at.is_(None))
            if openid is not None:
                query = query.where(Revisit.openid == openid)
            revisit = await session.scalar(query.order_by(Revisit.id.desc()).limit(1))
            if revisit is None and openid is not None:
                raise ActionRefused("no_revisit", "该案件没有待回访的问题")
            if revisit is None:
                revisit = Revisit(case_id=case.id, source="call", asked_at=now)
                session.add(revisit)
            who = actor or f"{revisit.channel or 'console'}:{openid}"
            revisit.level, revisit.comment = level, (comment or "").strip() or None
            revisit.answered_at, revisit.answered_by = now, who
            state.satisfaction = level
            await session.flush()
            await audit.append(
                session,
                case_id=case.id,
                actor=who,
                action="revisit.answered",
                detail={"revisit_id": revisit.id, "level": level, "comment": revisit.comment},
                at=now,
            )
            reopened = False
            if level in POOR:
                reopened = await self._supervise_after_revisit(
                    session, case, state, level, revisit.comment, now
                )
        name = statuses.SATISFACTION[level]
        reply = texts.REVISIT_THANKS.format(code=case.code, level=name)
        if reopened:
            reply += "\n" + texts.REVISIT_REOPENED.format(code=case.code)
        return RevisitResult(case.code, level, reopened, reply)

    async def _supervise_after_revisit(
        self,
        session: Any,
        case: Case,
        state: CaseState,
        level: str,
        comment: str | None,
        now: datetime,
    ) -> bool:
        reopened = case.status in (statuses.FEEDBACK, statuses.ARCHIVED)
        if reopened:
            reason = f"回访：{statuses.SATISFACTION[level]}"
            await self._reopen(session, case, state, "system:revisit", reason, now)
        else:
            state.supervised = True
        recipients = await notify.staff_recipients(
            session, assignee=state.assignee, organisation=case.organisation, leaders=True
        )
        doc_id = await notify.issue_document(
            session,
            case=case,
            kind="revisit_reopen",
            dedupe_key=f"revisit_reopen:{case.id}:{int(now.timestamp() * 1000)}",
            issued_by="system:revisit",
            recipients=recipients,
            fallback_recipient=case.organisation or texts.LEADERS,
            fields={
                "code": case.code,
                "level": statuses.SATISFACTION[level],
                "comment": comment or texts.NO_COMMENT,
            },
            public_url=self.public_url,
            at=now,
        )
        await audit.append(
            session,
            case_id=case.id,
            actor="system:revisit",
            action="supervision.revisit",
            detail={"document_id": doc_id, "level": level},
            at=now,
        )
        return reopened

    async def sample_revisits(
        self, month: str, per_organisation: int = 5, *, seed: int | None = None
    ) -> list[str]:
        """Draw the month's call list: up to N closed cases per organisation, at random.
        Drawing twice for the same month keeps the first draw."""
        start = datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=LOCAL_TZ)
        end = (start.replace(day=28) + (start.replace(day=28) - start.replace(day=1))).replace(
            day=1
        )
        rng = random.Random(seed)  # noqa: S311 - sampling, not security
        async with self.db.transaction() as session:
            if not self.db.is_sqlite:  # two workers drawing at once: the second sees the first
                await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SAMPLE_LOCK})
            already = (
                await session.scalars(
                    select(Case.code)
                    .join(Revisit, Revisit.case_id == Case.id)
                    .where(Revisit.source == "sample", Revisit.month == month)
                )
            ).all()
            if already:
                return list(already)
            rows = (
                await session.execute(
                    select(Case.id, Case.code, Case.organisation).where(
                        and_(Case.closed_at >= start, Case.closed_at < end),
                        Case.status.in_((statuses.FEEDBACK, statuses.ARCHIVED)),
                    )
                )
            ).all()
            by_org: dict[str, list[tuple[int, str]]] = {}
            for case_id, code, org in rows:
                by_org.setdefault(org or "", []).append((int(case_id), str(code)))
            picked: list[str] = []
            now = utcnow()
            for org in sorted(by_org):
                pool = by_org[org]
                for case_id, code in rng.sample(pool, min(per_organisation, len(pool))):
                    session.add(
                        Revisit(case_id=case_id, source="sample", month=month, asked_at=now)
                    )
                    await audit.append(
                        session,
                        case_id=case_id,
                        actor="system:revisit",
                        action="revisit.sampled",
                        detail={"month": month, "organisation": org},
                        at=now,
                    )
                    picked.append(code)
            return picked

    async def revisit_sample(self, month: str) -> list[dict[str, Any]]:
        """The call list for a month, with answers so far (no personal data)."""
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(Revisit, Case.code, Case.organisation, Case.type_name)
                    .join(Case, Case.id == Revisit.case_id)
                    .where(Revisit.source == "sample", Revisit.month == month)
                    .order_by(Case.organisation, Case.id)
                )
            ).all()
        return [
            {
                "code": code,
                "organisation": org,
                "type_name": type_name,
                "level": r.level,
                "level_name": statuses.SATISFACTION.get(r.level or "", ""),
                "comment": r.comment,
            }
            for r, code, org, type_name in rows
        ]

    async def _case_by_code(self, session: Any, code: str) -> Case:
        case = await session.scalar(select(Case).where(Case.code == codes.normalise(code)))
        if case is None:
            raise CaseNotFound(code)
        return case
