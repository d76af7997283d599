"""What operators configure in config/: routing rules, deadlines, escalation, notifications."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8")) if path.exists() else {}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


FALLBACK_ORGANISATION = "县人民调解委员会"  # where a case no rule matches goes


@dataclass(frozen=True)
class RoutingRule:
    types: list[str]
    risks: list[str]
    regions: list[str]
    organisation: str
    department: str | None

    def matches(self, type_code: str, risk: str, region: str | None) -> bool:
        return (
            (not self.types or type_code in self.types)
            and (not self.risks or risk in self.risks)
            and (not self.regions or (region or "") in self.regions)
        )


@dataclass(frozen=True)
class Destination:
    organisation: str
    department: str | None
    rule: int  # index of the matching rule, -1 when nothing matched


@dataclass(frozen=True)
class CaseConfig:
    rules: list[RoutingRule] = field(default_factory=list)
    whistle_departments: list[str] = field(default_factory=list)
    days_by_risk: dict[str, int] = field(default_factory=dict)
    days_by_type: dict[str, int] = field(default_factory=dict)
    task_days: int = 5
    warning_after_hours: float = 24
    order_after_hours: float = 72
    scheduler_interval: float = 60
    stats_refresh_seconds: float = 300
    notifications: dict[str, Any] = field(default_factory=dict)

    def route(self, type_code: str, risk: str, region: str | None) -> Destination:
        for index, rule in enumerate(self.rules):
            if rule.matches(type_code, risk, region):
                return Destination(rule.organisation, rule.department, index)
        return Destination(FALLBACK_ORGANISATION, None, -1)

    def organisations(self) -> list[str]:
        """Every organisation a case can be routed to, in the rules' order."""
        names = [rule.organisation for rule in self.rules] + [FALLBACK_ORGANISATION]
        return list(dict.fromkeys(names))

    def deadline_days(self, risk: str, type_code: str) -> int:
        days = self.days_by_risk.get(risk, 30)
        if type_code in self.days_by_type:
            days = min(days, self.days_by_type[type_code])
        return days

    def outbox(self, name: str, default: float) -> float:
        return float(self.notifications.get("outbox", {}).get(name, default))


def load_config(config_dir: Path) -> CaseConfig:
    routing = _load(config_dir / "routing.toml")
    deadlines = _load(config_dir / "deadlines.toml")
    rules = [
        RoutingRule(
            types=_as_list(r.get("type")),
            risks=_as_list(r.get("risk")),
            regions=_as_list(r.get("region")),
            organisation=str(r["organisation"]),
            department=r.get("department"),
        )
        for r in routing.get("rule", [])
    ]
    days = {"red": 0, "yellow": 1, "blue": 30}
    days.update({k: int(v) for k, v in deadlines.get("days_by_risk", {}).items()})
    escalation = deadlines.get("escalation", {})
    scheduler = deadlines.get("scheduler", {})
    return CaseConfig(
        rules=rules,
        whistle_departments=_as_list(routing.get("whistle", {}).get("departments")),
        days_by_risk=days,
        days_by_type={k: int(v) for k, v in deadlines.get("days_by_type", {}).items()},
        task_days=int(deadlines.get("tasks", {}).get("days", 5)),
        warning_after_hours=float(escalation.get("warning_after_hours", 24)),
        order_after_hours=float(escalation.get("order_after_hours", 72)),
        scheduler_interval=float(scheduler.get("interval_seconds", 60)),
        stats_refresh_seconds=float(scheduler.get("stats_refresh_seconds", 300)),
        notifications=_load(config_dir / "notifications.toml"),
    )
