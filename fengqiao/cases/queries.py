"""Reading cases for the console and the dashboard: filtered lists, the case page, statistics.

Statistics are read from a rollup table (case_stats) that the scheduler rebuilds, so the
dashboard answers from a few hundred rows however many cases there are; only the overdue
counts, which change by the minute, are counted live through the (status, deadline) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, text, union

from fengqiao.cases import codes, identity, masking, statuses
from fengqiao.cases.actors import FILE_KINDS, PARTY_ROLES, actor_name, size_text, staff_username
from fengqiao.cases.errors import CaseNotFound
from fengqiao.cases.lifecycle import allowed_actions
from fengqiao.cases.rules import LOCAL_TZ, CaseConfig
from fengqiao.storage.db import Database
from fengqiao.storage.models import (
    AuditEntry,
    Booking,
    Case,
    CaseDocument,
    CaseFile,
    CaseParty,
    CaseStat,
    CaseState,
    CaseTask,
    EvidenceComment,
    Mediator,
    OutboxMessage,
    Revisit,
    StaffUser,
    utcnow,
)

PAGE = 50
_STATS_LOCK = 0x46510004
DIMENSIONS = {
    "type": "c.type_name",
    "month": "s.month",
    "region": "COALESCE(c.region, '未填写')",
    "risk": "c.risk",
    "organisation": "COALESCE(c.organisation, '未分流')",
    "all": "'all'",
    "cycle_day": "CAST(s.cycle_hours / 24 AS INTEGER)",
}


def _stat_row(dim: str, key: Any, *counts: Any, now: datetime) -> dict[str, Any]:
    total, closed, resolved, satisfied, rated, cycle = counts
    return {
        "dimension": dim,
        "key": "" if key is None else str(key),
        "total": int(total or 0),
        "closed": int(closed or 0),
        "resolved": int(resolved or 0),
        "satisfied": int(satisfied or 0),
        "rated": int(rated or 0),
        "cycle_hours_sum": float(cycle or 0),
        "refreshed_at": now,
    }


@dataclass
class CaseFilter:
    status: str | None = None
    type_code: str | None = None
    risk: str | None = None
    organisation: str | None = None
    overdue: bool = False
    q: str | None = None  # a case code, or the start of a party's name
    before_id: int | None = None  # keyset pagination: the last id of the previous page
    limit: int = PAGE
    # A mediator's own cases (policy scope "own"): (their organisation, their username).
    own: tuple[str | None, str] | None = None
    open_only: bool = False  # not yet closed, archived, withdrawn or merged


def _local(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else None


def own_cases(organisation: str | None, username: str) -> Any:
    """Ids of the cases in a staff member's own scope (fengqiao/policy.py): their
    organisation's, routed or whistled to it, or assigned or booked to them by name."""
    parts: list[Any] = [
        select(CaseState.case_id).where(CaseState.assignee == username),
        select(Booking.case_id)
        .join(Mediator, Mediator.id == Booking.mediator_id)
        .where(Mediator.username == username, Booking.status.not_in(("cancelled", "declined"))),
    ]
    if organisation:
        parts += [
            select(Case.id).where(Case.organisation == organisation),
            select(CaseTask.case_id).where(CaseTask.department == organisation),
        ]
    return union(*parts)


class QueryMixin:
    db: Database
    config: CaseConfig

    async def list_cases(self, flt: CaseFilter, *, now: datetime | None = None) -> dict[str, Any]:
        """One page of cases, newest first, with applicant names masked."""
        now = now or utcnow()
        query = select(Case)
        if flt.q:
            code = codes.normalise(flt.q)
            if code:
                query = query.where(Case.code == code)
            else:
                named = select(CaseParty.case_id).where(
                    CaseParty.name.like(flt.q.strip().replace("%", "").replace("_", "") + "%")
                )
                query = query.where(Case.id.in_(named))
        if flt.status:
            query = query.where(Case.status == flt.status)
        if flt.type_code:
            query = query.where(Case.type_code == flt.type_code)
        if flt.risk:
            query = query.where(Case.risk == flt.risk)
        if flt.organisation:
            query = query.where(Case.organisation == flt.organisation)
        if flt.own is not None:
            query = query.where(Case.id.in_(own_cases(*flt.own)))
        if flt.overdue:
            query = query.where(Case.status.in_(statuses.OPEN), Case.deadline_at < now)
        if flt.open_only:
            query = query.where(Case.status.in_(statuses.OPEN))
        if flt.before_id:
            query = query.where(Case.id < flt.before_id)
        limit = max(1, min(flt.limit, 200))
        async with self.db.read() as session:
            rows = list(
                (await session.scalars(query.order_by(Case.id.desc()).limit(limit + 1))).all()
            )
            more = len(rows) > limit
            rows = rows[:limit]
            names: dict[int, str] = {}
            if rows:
                for case_id, name in (
                    await session.execute(
                        select(CaseParty.case_id, CaseParty.name).where(
                            CaseParty.case_id.in_([r.id for r in rows]),
                            CaseParty.role == "applicant",
                        )
                    )
                ).all():
                    names[int(case_id)] = masking.name(name)
        items = [
            {
                "id": c.id,
                "code": c.code,
                "status": c.status,
                "status_name": statuses.NAMES.get(c.status, c.status),
                "type": c.type_code,
                "type_name": c.type_name,
                "risk": c.risk,
                "risk_name": statuses.RISK_NAMES.get(c.risk, c.risk),
                "organisation": c.organisation,
                "applicant": names.get(c.id, ""),
                "filed_at": _local(c.created_at),
                "deadline": _local(c.deadline_at),
                "overdue": bool(
                    c.deadline_at and c.deadline_at < now and c.status in statuses.OPEN
                ),
            }
            for c in rows
        ]
        return {"items": items, "next_before_id": rows[-1].id if more and rows else None}

    @staticmethod
    async def _comments(session: Any, file_ids: list[int]) -> list[EvidenceComment]:
        query = select(EvidenceComment).where(EvidenceComment.case_file_id.in_(file_ids))
        return list((await session.scalars(query.order_by(EvidenceComment.id))).all())

    async def case_detail(self, code: str) -> dict[str, Any]:
        """Everything on the case page. Parties come unmasked: the edge masks them by role."""
        canonical = codes.normalise(code)
        if canonical is None:
            raise CaseNotFound(code)
        async with self.db.read() as session:
            case = await session.scalar(select(Case).where(Case.code == canonical))
            if case is None:
                raise CaseNotFound(code)
            state = await session.get(CaseState, case.id)
            parties = (
                await session.scalars(
                    select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
                )
            ).all()
            reach = await identity.party_channels(session, case.id)
            unsent = await identity.undelivered(session, case.id)
            addressees = await identity.addressees(session, case.id)
            timeline = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id)
                )
            ).all()
            tasks = (
                await session.scalars(
                    select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id)
                )
            ).all()
            documents = (
                await session.scalars(
                    select(CaseDocument)
                    .where(CaseDocument.case_id == case.id)
                    .order_by(CaseDocument.id)
                )
            ).all()
            files, notices, revisits = [
                (await session.scalars(select(row).where(row.case_id == case.id)
                                       .order_by(row.id))).all()
                for row in (CaseFile, OutboxMessage, Revisit)
            ]
            comments = await self._comments(session, [f.id for f in files])
            usernames = {staff_username(e.actor) for e in timeline} - {None}
            usernames |= {state.assignee} if state and state.assignee else set()
            staff_names = (
                dict(
                    (
                        await session.execute(
                            select(StaffUser.username, StaffUser.display_name).where(
                                StaffUser.username.in_(usernames)
                            )
                        )
                    ).all()
                )
                if usernames
                else {}
            )
        now = utcnow()
        party_names = {
            p.id: f"{PARTY_ROLES.get(p.role, p.role)}{masking.name(p.name) if p.name else ''}"
            for p in parties
        }
        return {
            "id": case.id,
            "code": case.code,
            "status": case.status,
            "status_name": statuses.NAMES.get(case.status, case.status),
            "type": case.type_code,
            "type_name": case.type_name,
            "risk": case.risk,
            "risk_name": statuses.RISK_NAMES.get(case.risk, case.risk),
            "risk_reasons": list(case.risk_reasons or []),
            "description": case.description,
            "answers": dict(case.answers or {}),
            "transcript": list(case.transcript or []),
            "channel": case.channel,
            "organisation": case.organisation,
            "department": case.department,
            "region": case.region,
            "filed_at": _local(case.created_at),
            "deadline": _local(case.deadline_at),
            "overdue": bool(
                case.deadline_at and case.deadline_at < now and case.status in statuses.OPEN
            ),
            "closed_at": _local(case.closed_at),
            "assignee": state.assignee if state else None,
            "assignee_name": (
                staff_names.get(state.assignee, state.assignee) if state and state.assignee else ""
            ),
            "escalation": state.escalation if state else 0,
            "supervised": bool(state and state.supervised),
            "outcome": state.outcome if state else None,
            "outcome_name": statuses.OUTCOMES.get(state.outcome or "", "") if state else "",
            "referral": statuses.REFERRALS.get(state.referral or "", "") if state else "",
            "referral_body": state.referral_body if state else None,
            "satisfaction": (
                statuses.SATISFACTION.get(state.satisfaction or "", "") if state else ""
            ),
            "actions": allowed_actions(case.status),
            "suggested_route": self.config.route(case.type_code, case.risk, case.region).__dict__,
            "parties": [
                {
                    "id": p.id,
                    "role": p.role,
                    "name": p.name or "",
                    "phone": p.phone or "",
                    "id_number": p.id_number or "",
                    "address": p.address or "",
                    "agent": p.agent or "",
                    # How the platform can reach them (公众号 / 小程序 / 短信), and why the last
                    # notice that could not be delivered was not.
                    "reach": [identity.NAMES[k] for k in reach.get(p.id, [])],
                    "undelivered": unsent.get(p.id, ""),
                }
                for p in parties
            ],
            "timeline": [
                {
                    "id": e.id,
                    "at": _local(e.created_at),
                    "actor": e.actor,
                    "actor_name": actor_name(e.actor, staff_names, party_names),
                    "action": e.action,
                    "detail": e.detail,
                }
                for e in timeline
            ],
            "tasks": [
                {
                    "id": t.id,
                    "department": t.department,
                    "instruction": t.instruction,
                    "status": t.status,
                    "deadline": _local(t.deadline_at),
                    "overdue": t.status == "open" and t.deadline_at < now,
                    "report": t.report,
                    "reported_by": t.reported_by,
                    "reported_at": _local(t.reported_at),
                }
                for t in tasks
            ],
            "documents": [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "title": d.title,
                    "body": d.body,
                    "recipient": d.recipient,
                    "at": _local(d.created_at),
                }
                for d in documents
            ],
            "files": [
                {
                    "id": f.id,
                    "kind": f.kind,
                    "kind_name": FILE_KINDS.get(f.kind, "材料"),
                    "name": f.original_name or FILE_KINDS.get(f.kind, "材料"),
                    "mime": f.mime,
                    "size": f.size,
                    "size_text": size_text(f.size),
                    "thumbnail": bool(getattr(f, "thumbnail_key", None)),
                    "visibility": getattr(f, "visibility", None),
                    "at": _local(f.created_at),
                    "comments": [
                        {
                            "by": actor_name(c.author, staff_names, party_names),
                            "text": c.text,
                            "at": _local(c.created_at),
                        }
                        for c in comments
                        if c.case_file_id == f.id
                    ],
                }
                for f in files
            ],
            "notices": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "channel": n.channel,
                    "event": n.payload.get("event"),
                    "title": n.payload.get("status_name") if n.kind != "revisit" else "回访",
                    "status": n.status,
                    "delivery": n.delivery,
                    # Whom it was for (role and masked name): a case has two parties or more.
                    "to": party_names.get(addressees.get(n.openid, 0), ""),
                    "why": n.last_error or n.fallback or "",
                    "attempts": n.attempts,
                    "at": _local(n.created_at),
                }
                for n in notices
            ],
            "revisits": [
                {
                    "source": r.source,
                    "level": statuses.SATISFACTION.get(r.level or "", ""),
                    "comment": r.comment,
                    "answered_at": _local(r.answered_at),
                }
                for r in revisits
            ],
        }

    # -- statistics --------------------------------------------------------------------------
    async def refresh_stats(
        self, *, only_if_unlocked: bool = False, now: datetime | None = None
    ) -> bool:
        """Rebuild the rollup; readers see the old or the new one whole.
        With only_if_unlocked, give up (False) when another worker is already writing one.
        The counting scans run as reads, outside the write transaction: on SQLite that
        transaction holds the single write lock, which filings must not wait behind for a
        scan of every case. Overdue counts are taken at `now` too: counting them live costs
        a heap scan of every open case, too slow for the dashboard at a million cases."""
        now = now or utcnow()
        rows: list[dict[str, Any]] = []
        async with self.db.read() as session:
            for dim, expr in DIMENSIONS.items():
                where = "s.cycle_hours IS NOT NULL AND " if dim == "cycle_day" else ""
                result = await session.execute(
                    text(
                        f"SELECT CAST({expr} AS VARCHAR(128)), count(*),"
                        " sum(CASE WHEN s.outcome IS NOT NULL THEN 1 ELSE 0 END),"
                        " sum(CASE WHEN s.outcome IN ('success', 'partial') THEN 1 ELSE 0 END),"
                        " sum(CASE WHEN s.satisfaction = 'satisfied' THEN 1 ELSE 0 END),"
                        " sum(CASE WHEN s.satisfaction IS NOT NULL THEN 1 ELSE 0 END),"
                        " COALESCE(sum(s.cycle_hours), 0) "
                        "FROM cases c JOIN case_state s ON s.case_id = c.id "
                        f"WHERE {where}c.status <> 'merged' GROUP BY 1"
                    )
                )
                rows.extend(_stat_row(dim, *r, now=now) for r in result)
            result = await session.execute(
                text(
                    "SELECT c.risk, count(*), 0, 0, 0, 0, 0 FROM cases c "
                    "WHERE c.status IN ('accepted', 'routed', 'handling') AND c.deadline_at < :now "
                    "GROUP BY c.risk"
                ),
                {"now": now},
            )
            rows.extend(_stat_row("overdue", *r, now=now) for r in result)
        async with self.db.transaction() as session:
            if not self.db.is_sqlite:
                lock = "pg_try_advisory_xact_lock" if only_if_unlocked else "pg_advisory_xact_lock"
                got = await session.scalar(text(f"SELECT {lock}(:k)"), {"k": _STATS_LOCK})
                if only_if_unlocked and not got:
                    return False
            await session.execute(delete(CaseStat))
            if rows:
                await session.execute(insert(CaseStat), rows)
        return True

    async def stats(self) -> dict[str, Any]:
        """化解率, satisfaction, cycle times, overdue counts, and cases by type, month, region,
        risk and organisation, as of the last rollup (`refreshed_at`)."""
        async with self.db.read() as session:
            rows = (await session.scalars(select(CaseStat))).all()
        if not rows:
            await self.refresh_stats()
            async with self.db.read() as session:
                rows = (await session.scalars(select(CaseStat))).all()
        by_dim: dict[str, list[CaseStat]] = {}
        for row in rows:
            by_dim.setdefault(row.dimension, []).append(row)
        total = next(iter(by_dim.get("all", [])), None)
        hist = sorted((int(r.key), r.total) for r in by_dim.get("cycle_day", []))
        closed_n = sum(n for _, n in hist)
        p90 = None
        running = 0
        for day, n in hist:
            running += n
            if running >= 0.9 * closed_n:
                p90 = day + 1  # the bucket's upper bound, in days
                break

        def series(dim: str, order_by_key: bool = False) -> list[dict[str, Any]]:
            items = by_dim.get(dim, [])
            items = sorted(items, key=(lambda r: r.key) if order_by_key else (lambda r: -r.total))
            return [
                {
                    "key": r.key,
                    "name": statuses.RISK_NAMES.get(r.key, r.key) if dim == "risk" else r.key,
                    "total": r.total,
                    "closed": r.closed,
                    "resolution_rate": round(r.resolved / r.closed, 4) if r.closed else None,
                }
                for r in items
            ]

        overdue = {r.key: r.total for r in by_dim.get("overdue", [])}
        return {
            "total": total.total if total else 0,
            "closed": total.closed if total else 0,
            "resolution_rate": (
                round(total.resolved / total.closed, 4) if total and total.closed else None
            ),
            "satisfaction_rate": (
                round(total.satisfied / total.rated, 4) if total and total.rated else None
            ),
            "rated": total.rated if total else 0,
            "cycle_days_avg": (
                round(total.cycle_hours_sum / closed_n / 24, 2) if total and closed_n else None
            ),
            "cycle_days_p90": p90,
            "overdue": {"total": sum(overdue.values()), "by_risk": overdue},
            "by_type": series("type"),
            "by_month": series("month", order_by_key=True),
            "by_region": series("region"),
            "by_risk": series("risk"),
            "by_organisation": series("organisation"),
            "refreshed_at": _local(rows[0].refreshed_at) if rows else None,
        }
