"""Lifecycle actions of CaseService: route, handle, whistle, close, archive, withdraw, merge,
reopen, assign, escalate. Each runs in one transaction: lock the case, ask the state machine,
change, append to the audit chain, queue the notices (transactional outbox)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from fengqiao.cases import audit, codes, notify, statuses, texts
from fengqiao.cases.errors import ActionRefused, CaseNotFound
from fengqiao.cases.lifecycle import next_status
from fengqiao.cases.rules import LOCAL_TZ, CaseConfig
from fengqiao.storage.db import Database
from fengqiao.storage.models import Case, CaseState, CaseTask, utcnow


def end_of_local_day(now: datetime, days: int) -> datetime:
    local = now.astimezone(LOCAL_TZ).date() + timedelta(days=days)
    return datetime.combine(local, time(23, 59, 59), LOCAL_TZ).astimezone(now.tzinfo)


def _need(value: str | None, code: str, message: str) -> str:
    if not value or not value.strip():
        raise ActionRefused(code, message)
    return value.strip()


class LifecycleMixin:
    db: Database
    config: CaseConfig
    public_url: str
    hotline: str

    # -- plumbing ----------------------------------------------------------------------------
    async def _locked(self, session: Any, code: str) -> tuple[Case, CaseState]:
        """The case and its lifecycle row, locked against concurrent changes (PostgreSQL)."""
        canonical = codes.normalise(code)
        if canonical is None:
            raise CaseNotFound(code)
        case = await session.scalar(select(Case).where(Case.code == canonical).with_for_update())
        if case is None:
            raise CaseNotFound(code)
        state = await session.get(CaseState, case.id, with_for_update=True)
        if state is None:  # a case written by something other than file_case
            state = CaseState(
                case_id=case.id,
                escalation=0,
                supervised=False,
                month=f"{case.created_at.astimezone(LOCAL_TZ):%Y-%m}",
            )
            session.add(state)
            await session.flush()
        return case, state

    async def _change(
        self,
        session: Any,
        case: Case,
        action: str,
        actor: str,
        *,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
        remark: dict[str, str] | None = None,
        at: datetime | None = None,
    ) -> int:
        """Apply `action`; the id of its audit entry."""
        now = at or utcnow()
        before = case.status
        after = next_status(before, action)
        case.status = after
        case.updated_at = now
        full: dict[str, Any] = {"from": before, **(detail or {})}
        if after != before:
            full["status"] = after  # progress pages build their steps from this key
        if reason:
            full["reason"] = reason
        entry_id = await audit.append(
            session, case_id=case.id, actor=actor, action=f"case.{action}", detail=full, at=now
        )
        if after != before:
            event = "reopened" if action == "reopen" else after
            fields = {
                "organisation": case.organisation or "承办单位",
                "hotline": self.hotline,
                "outcome": "",
                "target": "",
                **(remark or {}),
            }
            await notify.enqueue_status(
                session,
                case,
                event=event,
                change_id=entry_id,
                remark=texts.STATUS_REMARK[event].format(**fields),
                public_url=self.public_url,
                at=now,
            )
        return entry_id

    # -- 分流 ---------------------------------------------------------------------------------
    def suggest_route(self, case: Case) -> dict[str, Any]:
        dest = self.config.route(case.type_code, case.risk, case.region)
        return {"organisation": dest.organisation, "department": dest.department, "rule": dest.rule}

    async def route(
        self,
        code: str,
        actor: str,
        *,
        organisation: str | None = None,
        department: str | None = None,
        reason: str | None = None,
        assignee: str | None = None,
    ) -> dict[str, Any]:
        """Route by the rules in config/routing.toml; staff may override with a reason."""
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            suggested = self.config.route(case.type_code, case.risk, case.region)
            org = (organisation or "").strip() or suggested.organisation
            dept = (department or "").strip() or (
                suggested.department if org == suggested.organisation else None
            )
            override = org != suggested.organisation or dept != suggested.department
            if override:
                reason = _need(reason, "reason_required", "改派须填写理由")
            case.organisation, case.department = org, dept
            if assignee:
                state.assignee = assignee
            await self._change(
                session,
                case,
                "route",
                actor,
                reason=reason,
                detail={
                    "organisation": org,
                    "department": dept,
                    "rule": suggested.rule,
                    "suggested": suggested.organisation,
                    "override": override,
                    "assignee": state.assignee,
                },
                remark={"organisation": org},
            )
            return {"organisation": org, "department": dept, "override": override}

    async def handle(self, code: str, actor: str, *, assignee: str | None = None) -> None:
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            if assignee:
                state.assignee = assignee
            await self._change(session, case, "handle", actor, detail={"assignee": state.assignee})

    async def assign(self, code: str, actor: str, assignee: str, reason: str | None = None) -> None:
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            before = state.assignee
            state.assignee = _need(assignee, "assignee_required", "请填写承办人")
            await self._change(
                session,
                case,
                "assign",
                actor,
                reason=reason,
                detail={"assignee": state.assignee, "previous": before},
            )

    # -- 吹哨报到 -----------------------------------------------------------------------------
    async def whistle(
        self,
        code: str,
        actor: str,
        *,
        departments: list[str],
        reason: str,
        instruction: str = "",
        days: int | None = None,
    ) -> list[int]:
        """Call several departments in; each gets its own task, deadline and report."""
        wanted = list(dict.fromkeys(d.strip() for d in departments if d and d.strip()))
        if not wanted:
            raise ActionRefused("departments_required", "请至少选择一个报到部门")
        reason = _need(reason, "reason_required", "吹哨须填写事由")
        now = utcnow()
        deadline = end_of_local_day(now, self.config.task_days if days is None else days)
        async with self.db.transaction() as session:
            case, _state = await self._locked(session, code)
            existing = set(
                (
                    await session.scalars(
                        select(CaseTask.department).where(CaseTask.case_id == case.id)
                    )
                ).all()
            )
            tasks = [
                CaseTask(
                    case_id=case.id,
                    department=dept,
                    instruction=instruction,
                    status="open",
                    deadline_at=deadline,
                    escalation=0,
                    created_at=now,
                )
                for dept in wanted
                if dept not in existing
            ]
            session.add_all(tasks)
            await session.flush()
            await self._change(
                session,
                case,
                "whistle",
                actor,
                reason=reason,
                detail={
                    "departments": [t.department for t in tasks],
                    "task_ids": [t.id for t in tasks],
                    "deadline": deadline.isoformat(),
                },
                remark={"organisation": case.organisation or "承办单位"},
                at=now,
            )
            return [t.id for t in tasks]

    async def report_task(self, task_id: int, actor: str, report: str) -> None:
        report = _need(report, "report_required", "请填写报到情况")
        async with self.db.transaction() as session:
            task = await session.get(CaseTask, task_id, with_for_update=True)
            if task is None:
                raise ActionRefused("task_not_found", "任务不存在")
            if task.status != "open":
                raise ActionRefused("task_closed", "该任务已报告")
            now = utcnow()
            task.status, task.report, task.reported_by, task.reported_at = (
                "reported",
                report,
                actor,
                now,
            )
            await audit.append(
                session,
                case_id=task.case_id,
                actor=actor,
                action="task.reported",
                detail={"task_id": task.id, "department": task.department},
                at=now,
            )

    # -- ending ------------------------------------------------------------------------------
    async def close(
        self,
        code: str,
        actor: str,
        *,
        outcome: str,
        summary: str,
        referral: str | None = None,
        referral_body: str | None = None,
    ) -> None:
        """Record the outcome and tell the parties (反馈). A failed mediation must say where
        the case goes next (七步走) and which body received it."""
        if outcome not in statuses.OUTCOMES:
            raise ActionRefused("bad_outcome", "请选择调处结果")
        summary = _need(summary, "summary_required", "请填写处理情况")
        if outcome == statuses.FAILED:
            if referral not in statuses.REFERRALS:
                raise ActionRefused("referral_required", "调解不成须选择后续途径（七步走）")
            referral_body = _need(referral_body, "referral_required", "请填写接收单位")
        else:
            referral, referral_body = None, None
        now = utcnow()
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            case.closed_at = now
            state.outcome, state.referral, state.referral_body = outcome, referral, referral_body
            state.cycle_hours = round((now - case.created_at).total_seconds() / 3600, 2)
            outcome_text = statuses.OUTCOMES[outcome]
            if referral:
                outcome_text += f"，转{statuses.REFERRALS[referral]}（{referral_body}）"
            entry_id = await self._change(
                session,
                case,
                "close",
                actor,
                reason=summary,
                detail={"outcome": outcome, "referral": referral, "referral_body": referral_body},
                remark={"outcome": outcome_text},
                at=now,
            )
            await self._ask_revisit(session, case, outcome_text, entry_id, now)

    async def _ask_revisit(
        self, session: Any, case: Case, outcome_text: str, change_id: int, now: datetime
    ) -> None:
        """Overridden by RevisitMixin, which asks the parties for their satisfaction."""

    async def archive(self, code: str, actor: str, reason: str | None = None) -> None:
        async with self.db.transaction() as session:
            case, _state = await self._locked(session, code)
            await self._change(session, case, "archive", actor, reason=reason)

    async def withdraw(self, code: str, actor: str, reason: str) -> None:
        reason = _need(reason, "reason_required", "请填写撤回原因")
        async with self.db.transaction() as session:
            case, _state = await self._locked(session, code)
            case.closed_at = utcnow()
            await self._change(session, case, "withdraw", actor, reason=reason)

    async def merge(self, code: str, into: str, actor: str, reason: str) -> None:
        """Merge a duplicate (same parties and facts) into the case that carries on."""
        reason = _need(reason, "reason_required", "请填写合并理由")
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            target, _ = await self._locked(session, into)
            if target.id == case.id:
                raise ActionRefused("merge_self", "不能与本案合并")
            if target.status not in statuses.OPEN:
                raise ActionRefused("merge_target_closed", "目标案件已办结，不能并入")
            state.merged_into_id = target.id
            case.closed_at = utcnow()
            await self._change(
                session,
                case,
                "merge",
                actor,
                reason=reason,
                detail={"into": target.code},
                remark={"target": target.code},
            )
            await audit.append(
                session,
                case_id=target.id,
                actor=actor,
                action="case.merged_in",
                detail={"from_case": case.code, "reason": reason},
            )

    async def find_duplicates(self, code: str, limit: int = 10) -> list[Case]:
        """Open cases of the same type with the same applicant or the same party names."""
        from fengqiao.storage.models import CaseParty

        async with self.db.read() as session:
            case = await session.scalar(select(Case).where(Case.code == codes.normalise(code)))
            if case is None:
                raise CaseNotFound(code)
            names = [
                n
                for n in (
                    await session.scalars(
                        select(CaseParty.name).where(
                            CaseParty.case_id == case.id, CaseParty.name.is_not(None)
                        )
                    )
                ).all()
                if n
            ]
            same_party = select(CaseParty.case_id).where(CaseParty.name.in_(names))
            query = select(Case).where(
                Case.id != case.id,
                Case.type_code == case.type_code,
                Case.status.in_(statuses.OPEN),
            )
            if case.applicant_id is not None:
                query = query.where(
                    (Case.applicant_id == case.applicant_id) | Case.id.in_(same_party)
                )
            else:
                query = query.where(Case.id.in_(same_party))
            return list((await session.scalars(query.order_by(Case.id).limit(limit))).all())

    # -- supervision -------------------------------------------------------------------------
    async def reopen(self, code: str, actor: str, reason: str) -> None:
        reason = _need(reason, "reason_required", "请填写重新督办的理由")
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            await self._reopen(session, case, state, actor, reason, utcnow())

    async def _reopen(
        self, session: Any, case: Case, state: CaseState, actor: str, reason: str, now: datetime
    ) -> None:
        state.supervised = True
        state.escalation = 0
        case.closed_at = None
        # Reopened work gets a short, fresh limit and is chased like any other.
        case.deadline_at = end_of_local_day(now, min(3, self.config.deadline_days(case.risk, "")))
        await self._change(session, case, "reopen", actor, reason=reason, at=now)

    async def escalate(self, code: str, actor: str, reason: str) -> int | None:
        """Issue the next supervision document by hand (提醒函 → 预警单 → 督办令)."""
        reason = _need(reason, "reason_required", "请填写督办事由")
        async with self.db.transaction() as session:
            case, state = await self._locked(session, code)
            level = min(state.escalation + 1, 3)
            return await self._escalate(session, case, state, level, actor, utcnow(), reason)

    async def _escalate(
        self,
        session: Any,
        case: Case,
        state: CaseState,
        level: int,
        actor: str,
        now: datetime,
        reason: str | None = None,
    ) -> int | None:
        next_status(case.status, "escalate")  # only open cases are supervised
        kind = statuses.ESCALATIONS[level]
        deadline = case.deadline_at or now
        overdue = max(0.0, (now - deadline).total_seconds() / 3600)
        recipients = await notify.staff_recipients(
            session,
            assignee=state.assignee,
            organisation=case.organisation,
            leaders=level >= 3 or case.risk == "red",
        )
        doc_id = await notify.issue_document(
            session,
            case=case,
            kind=kind,
            dedupe_key=f"esc:{case.id}:{level}:{int(deadline.timestamp())}",
            issued_by=actor,
            recipients=recipients,
            fallback_recipient=case.organisation or texts.LEADERS,
            fields={
                "code": case.code,
                "type_name": case.type_name,
                "risk_name": statuses.RISK_NAMES.get(case.risk, case.risk),
                "deadline": deadline.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                "overdue": int(overdue),
            },
            public_url=self.public_url,
            at=now,
        )
        state.escalation = max(state.escalation, level)
        if doc_id is None:
            return None
        await audit.append(
            session,
            case_id=case.id,
            actor=actor,
            action=f"supervision.{kind}",
            detail={
                "document_id": doc_id,
                "level": level,
                "overdue_hours": round(overdue, 1),
                **({"reason": reason} if reason else {}),
            },
            at=now,
        )
        return doc_id
