from datetime import UTC, date, datetime, timedelta

from fengqiao.booking.availability import (
    format_hours,
    parse_hours,
    slots,
    spread,
    subtract,
    working_intervals,
)
from fengqiao.booking.config import BookingConfig, WorkCalendar, load_config
from fengqiao.settings import CONFIG_DIR


def sh(y, m, d, h, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=UTC) - timedelta(hours=8)


def test_parse_and_format_hours_round_trip():
    hours = parse_hours("mon-fri 09:00-12:00,14:00-17:30; sat 09:00-11:00")
    assert len(hours) == 11
    assert format_hours(hours).startswith("mon 09:00-12:00,14:00-17:30; tue")
    assert format_hours(hours).endswith("sat 09:00-11:00")


def test_holidays_remove_hours_and_adjusted_workdays_add_them():
    config = load_config(CONFIG_DIR)
    hours = parse_hours("mon-fri 09:00-12:00")
    # 2026-10-01..07 National Day; Saturday 2026-10-10 is a working day on Monday's hours.
    free = working_intervals(hours, sh(2026, 9, 30, 0), sh(2026, 10, 12, 0), config)
    days = [lo.astimezone(config.tz).date() for lo, _ in free]
    assert date(2026, 9, 30) in days
    assert not any(date(2026, 10, 1) <= d <= date(2026, 10, 7) for d in days)
    assert date(2026, 10, 8) in days and date(2026, 10, 10) in days
    assert date(2026, 10, 11) not in days  # an ordinary Sunday


def test_free_time_subtracts_busy_and_cuts_slots_on_the_grid():
    config = BookingConfig(calendar=WorkCalendar())
    hours = parse_hours("mon 09:00-12:00")
    free = working_intervals(hours, sh(2026, 11, 23, 9, 10), sh(2026, 11, 23, 23), config)
    free = subtract(free, [(sh(2026, 11, 23, 10), sh(2026, 11, 23, 11))])
    got = slots(free, config)
    assert [lo.astimezone(config.tz).strftime("%H:%M") for lo, _ in got] == ["11:00"]
    assert spread(slots([(sh(2026, 11, 23, 9), sh(2026, 11, 23, 12))], config), 5) == [
        (sh(2026, 11, 23, 9), sh(2026, 11, 23, 10)),
        (sh(2026, 11, 23, 10), sh(2026, 11, 23, 11)),
        (sh(2026, 11, 23, 11), sh(2026, 11, 23, 12)),
    ]
