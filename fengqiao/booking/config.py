"""Booking settings and the working-day calendar, read from config/booking.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
DEFAULT_WEIGHTS = {
    "skill": 0.35,
    "language": 0.15,
    "region": 0.15,
    "workload": 0.15,
    "availability": 0.1,
    "satisfaction": 0.1,
    "organisation": 0.15,
}


@dataclass(frozen=True)
class WorkCalendar:
    """Public holidays and adjusted working days (调休): which weekday's hours apply on a date."""

    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, int] = field(default_factory=dict)  # date -> weekday whose hours apply

    def hours_weekday(self, day: date) -> int | None:
        """The weekday whose weekly hours apply on `day`; None on a public holiday."""
        if day in self.holidays:
            return None
        return self.workdays.get(day, day.weekday())

    def holiday_name(self, day: date) -> str | None:
        return self.holidays.get(day)


@dataclass(frozen=True)
class BookingConfig:
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    slot_minutes: int = 60
    step_minutes: int = 30
    lead_hours: float = 4
    horizon_days: int = 14
    offer_slots: int = 5
    reminders_hours: tuple[float, ...] = (24, 1)
    recommend_top: int = 5
    resident_choices: int = 3
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    calendar: WorkCalendar = field(default_factory=WorkCalendar)


def _calendar(data: dict[str, Any]) -> WorkCalendar:
    holidays: dict[date, str] = {}
    for ranges in data.get("holidays", {}).values():
        for first, last, name in ranges:
            day, end = date.fromisoformat(first), date.fromisoformat(last)
            while day <= end:
                holidays[day] = name
                day += timedelta(days=1)
    workdays: dict[date, int] = {}
    for entries in data.get("workdays", {}).values():
        for entry in entries:
            day_text, follows = entry[0], entry[1] if len(entry) > 1 else "mon"
            workdays[date.fromisoformat(day_text)] = WEEKDAYS[follows]
    return WorkCalendar(holidays, workdays)


def load_config(config_dir: Path) -> BookingConfig:
    path = config_dir / "booking.toml"
    data = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    weights = dict(DEFAULT_WEIGHTS)
    weights.update({k: float(v) for k, v in data.get("weights", {}).items()})
    return BookingConfig(
        tz=ZoneInfo(data.get("timezone", "Asia/Shanghai")),
        slot_minutes=int(data.get("slot_minutes", 60)),
        step_minutes=int(data.get("step_minutes", 30)),
        lead_hours=float(data.get("lead_hours", 4)),
        horizon_days=int(data.get("horizon_days", 14)),
        offer_slots=int(data.get("offer_slots", 5)),
        reminders_hours=tuple(float(h) for h in data.get("reminders_hours", [24, 1])),
        recommend_top=int(data.get("recommend_top", 5)),
        resident_choices=int(data.get("resident_choices", 3)),
        weights=weights,
        calendar=_calendar(data),
    )
