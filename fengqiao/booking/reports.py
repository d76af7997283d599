"""Reports over finished sessions: 一案一补, the subsidy a mediator earns per case."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from fengqiao.booking import texts
from fengqiao.booking.errors import Invalid

YEARS = (2000, 2100)  # the years a report may ask for


def year_range(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """1 January of `year` to 1 January of the next, in the centre's zone."""
    low, high = YEARS
    if not low <= year <= high:
        raise Invalid("bad_year", texts.E_YEAR.format(low=low, high=high))
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def subsidy_by_month(
    finished: list[tuple[int, datetime]], year: int, subsidy_fen: int, tz: tzinfo
) -> list[dict[str, Any]]:
    """Distinct cases with a finished session per month, times the mediator's rate; a case
    is paid once, in the month it was first finished."""
    months: dict[int, set[int]] = {}
    seen: set[int] = set()
    for case_id, done in sorted(finished, key=lambda r: r[1]):
        if case_id in seen:
            continue
        seen.add(case_id)
        months.setdefault(done.astimezone(tz).month, set()).add(case_id)
    return [
        {
            "month": f"{year}-{m:02d}",
            "cases": len(months.get(m, ())),
            "amount_yuan": len(months.get(m, ())) * subsidy_fen / 100,
        }
        for m in range(1, 13)
    ]
