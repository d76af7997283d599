"""Free time of a mediator: weekly hours on the working-day calendar, minus absences and the
bookings that hold time. Pure functions over plain values; the service loads the rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fengqiao.booking.config import BookingConfig

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WeeklyHours:
    weekday: int  # 0 = Monday
    start_minute: int
    end_minute: int


def parse_hours(text: str) -> list[WeeklyHours]:
    """'mon-fri 09:00-12:00,14:00-17:30; sat 09:00-12:00' -> weekly hours."""
    from fengqiao.booking.config import WEEKDAYS

    out: list[WeeklyHours] = []
    for part in filter(None, (p.strip() for p in text.replace("；", ";").split(";"))):
        days_text, _, times_text = part.partition(" ")
        first, _, last = days_text.lower().partition("-")
        lo, hi = WEEKDAYS[first], WEEKDAYS[last or first]
        days = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
        for span in filter(None, (s.strip() for s in times_text.replace("，", ",").split(","))):
            start_text, _, end_text = span.partition("-")
            start, end = _minute(start_text), _minute(end_text)
            if not 0 <= start < end <= 24 * 60:
                raise ValueError(f"bad hours: {span}")
            out.extend(WeeklyHours(d, start, end) for d in days)
    return out


def _minute(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    return int(hours) * 60 + int(minutes or 0)


def format_hours(hours: Iterable[WeeklyHours]) -> str:
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    by_day: dict[int, list[str]] = {}
    for h in sorted(hours, key=lambda h: (h.weekday, h.start_minute)):
        span = f"{h.start_minute // 60:02d}:{h.start_minute % 60:02d}-"
        span += f"{h.end_minute // 60:02d}:{h.end_minute % 60:02d}"
        by_day.setdefault(h.weekday, []).append(span)
    return "; ".join(f"{names[d]} {','.join(spans)}" for d, spans in sorted(by_day.items()))


def working_intervals(
    hours: list[WeeklyHours], start: datetime, end: datetime, config: BookingConfig
) -> list[Interval]:
    """Local working hours between start and end, as aware datetimes."""
    tz = config.tz
    out: list[Interval] = []
    day: date = start.astimezone(tz).date()
    last: date = end.astimezone(tz).date()
    while day <= last:
        weekday = config.calendar.hours_weekday(day)
        if weekday is not None:
            for h in hours:
                if h.weekday != weekday:
                    continue
                midnight = datetime.combine(day, time(0), tz)
                lo = max(midnight + timedelta(minutes=h.start_minute), start)
                hi = min(midnight + timedelta(minutes=h.end_minute), end)
                if lo < hi:
                    out.append((lo, hi))
        day += timedelta(days=1)
    return merge(out)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def subtract(free: list[Interval], busy: Iterable[Interval]) -> list[Interval]:
    result = list(free)
    for b_lo, b_hi in merge(busy):
        nxt: list[Interval] = []
        for lo, hi in result:
            if b_hi <= lo or hi <= b_lo:
                nxt.append((lo, hi))
                continue
            if lo < b_lo:
                nxt.append((lo, b_lo))
            if b_hi < hi:
                nxt.append((b_hi, hi))
        result = nxt
    return result


def slots(free: list[Interval], config: BookingConfig, limit: int | None = None) -> list[Interval]:
    """Session-length slots inside the free intervals, starting on the step grid."""
    length = timedelta(minutes=config.slot_minutes)
    step = timedelta(minutes=config.step_minutes)
    out: list[Interval] = []
    for lo, hi in free:
        start = _ceil_to_grid(lo, config)
        while start + length <= hi:
            out.append((start, start + length))
            if limit is not None and len(out) >= limit:
                return out
            start += step
    return out


def spread(candidates: list[Interval], count: int) -> list[Interval]:
    """Offer times that do not overlap each other, preferring different half-days."""
    chosen: list[Interval] = []
    for lo, hi in candidates:
        if len(chosen) >= count:
            break
        if any(lo < c_hi and c_lo < hi for c_lo, c_hi in chosen):
            continue
        chosen.append((lo, hi))
    return chosen


def _ceil_to_grid(moment: datetime, config: BookingConfig) -> datetime:
    local = moment.astimezone(config.tz)
    midnight = datetime.combine(local.date(), time(0), config.tz)
    step = config.step_minutes * 60
    seconds = (local - midnight).total_seconds()
    rounded = -(-int(seconds) // step) * step
    return midnight + timedelta(seconds=rounded)
