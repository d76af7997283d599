"""Console JSON: the dashboard's statistics, the audit-chain check, the case list."""

from __future__ import annotations

from typing import Any

from fengqiao import keys
from fengqiao.web.kit.door import Call, Routes
from fengqiao.web.pages.console import filter_from
from fengqiao.web.pages.console_forms import CaseListQuery

routes = Routes()

SERIES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "name": {"type": "string"},
            "total": {"type": "integer"},
            "closed": {"type": "integer"},
            "resolution_rate": {"type": ["number", "null"]},
        },
    },
}
STATS_SCHEMA = {
    "type": "object",
    "required": ["total", "closed", "resolution_rate", "overdue", "by_type"],
    "properties": {
        "total": {"type": "integer"},
        "closed": {"type": "integer"},
        "resolution_rate": {"type": ["number", "null"]},
        "satisfaction_rate": {"type": ["number", "null"]},
        "rated": {"type": "integer"},
        "cycle_days_avg": {"type": ["number", "null"]},
        "cycle_days_p90": {"type": ["integer", "null"]},
        "overdue": {"type": "object"},
        "by_type": SERIES,
        "by_month": SERIES,
        "by_region": SERIES,
        "by_risk": SERIES,
        "by_organisation": SERIES,
        "refreshed_at": {"type": ["string", "null"]},
    },
}
AUDIT_SCHEMA = {
    "type": "object",
    "required": ["ok", "entries"],
    "properties": {
        "ok": {"type": "boolean"},
        "entries": {"type": "integer"},
        "first_broken_id": {"type": ["integer", "null"]},
        "reason": {"type": ["string", "null"]},
    },
}


@routes.get(
    "/api/v1/stats",
    "dashboard.view",
    summary="Statistics for the dashboard: 化解率, satisfaction, cycle times, overdue, breakdowns",
    response=STATS_SCHEMA,
)
async def stats_api(call: Call[Any, Any]) -> Any:
    return await call.app[keys.CASES].stats()


@routes.get(
    "/api/v1/audit/verify",
    "audit.view",
    summary="Verify the hash-chained audit log; names the first broken entry",
    response=AUDIT_SCHEMA,
)
async def audit_verify_api(call: Call[Any, Any]) -> Any:
    report = await call.app[keys.CASES].verify_audit()
    return {
        "ok": report.ok,
        "entries": report.entries,
        "first_broken_id": report.first_broken_id,
        "reason": report.reason,
    }


@routes.get(
    "/api/v1/console/cases",
    "case.view",
    query=CaseListQuery,
    summary="Console case list: filters status, type, risk, organisation, overdue=1, q, before; "
    "a mediator sees their own cases only; names masked",
    response={"type": "object", "required": ["items"]},
)
async def cases_api(call: Call[Any, CaseListQuery]) -> Any:
    flt = filter_from(call.query, call.staff.user)
    return await call.app[keys.CASES].list_cases(flt)
