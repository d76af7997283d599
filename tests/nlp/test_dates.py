from __future__ import annotations

from datetime import date, datetime

import pytest

from fengqiao.nlp.dates import find_dates, find_periods

NOW = datetime(2024, 3, 15, 10, 30)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上个月的事", [date(2024, 2, 1)]),
        ("去年年底借的", [date(2023, 12, 31)]),
        ("前天晚上", [date(2024, 3, 13)]),
        ("大前天", [date(2024, 3, 12)]),
        ("昨天和明天", [date(2024, 3, 14), date(2024, 3, 16)]),
        ("2023年5月6日", [date(2023, 5, 6)]),
        ("2023-05-06", [date(2023, 5, 6)]),
        ("2023/5/6", [date(2023, 5, 6)]),
        ("5月6号", [date(2024, 5, 6)]),
        ("五月六号", [date(2024, 5, 6)]),
        ("12月20号", [date(2023, 12, 20)]),  # would be far in the future: last year
        ("二〇二三年十二月三十一日", [date(2023, 12, 31)]),
        ("去年3月借的", [date(2023, 3, 1)]),
        ("三天前", [date(2024, 3, 12)]),
        ("两个月前", [date(2024, 1, 15)]),
        ("半年前", [date(2023, 9, 15)]),
        ("半个月前", [date(2024, 2, 29)]),
        ("上周三", [date(2024, 3, 6)]),
        ("上个月15号", [date(2024, 2, 15)]),
        ("上个月底", [date(2024, 2, 29)]),  # leap year
        ("前年年初", [date(2022, 1, 1)]),
        ("3月份", [date(2024, 3, 1)]),
        ("2019年", [date(2019, 1, 1)]),
    ],
)
def test_dates(text: str, expected: list[date]) -> None:
    assert find_dates(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("去年借的", "2023"),
        ("2019年", "2019"),
        ("两年前", "2022"),
        ("去年年中", "2023"),
        ("去年3月借的", "2023-03"),
        ("去年年底借的", "2023-12"),
        ("前年年初", "2022-01"),
        ("3月份", "2024-03"),
        ("上个月的事", "2024-02"),
        ("上个月底", "2024-02"),
        ("两个月前", "2024-01"),
        ("半年前", "2023-09"),
        ("上个月15号", "2024-02-15"),
        ("三天前", "2024-03-12"),
        ("上周三", "2024-03-06"),
        ("5月6号", "2024-05-06"),
        ("2023/5/6", "2023-05-06"),
        ("前天晚上", "2024-03-13"),
    ],
)
def test_a_date_keeps_its_precision(text: str, iso: str) -> None:
    """去年 is a year and 上个月 a month: not their first day, which nobody said."""
    (period,) = find_periods(text, NOW)
    assert period.iso == iso
    assert find_dates(text, NOW) == [period.day]


@pytest.mark.parametrize(
    "text",
    ["", "最近", "前几天", "那天", "我今年35岁", "3个月工资", "99月99号", "2023年13月40日",
     "😀😀", "电话13812345678"],
)
def test_no_dates(text: str) -> None:
    assert find_dates(text, NOW) == []


def test_month_end_clamps() -> None:
    assert find_dates("一个月前", datetime(2024, 3, 31)) == [date(2024, 2, 29)]


def test_accepts_date_and_default_now() -> None:
    assert find_dates("今天", date(2024, 1, 2)) == [date(2024, 1, 2)]
    assert find_dates("今天") == [date.today()]


def test_long_text() -> None:
    text = "前天" + "啊" * 10_000 + "2023年5月6日"
    assert find_dates(text, NOW) == [date(2024, 3, 13), date(2023, 5, 6)]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("上周", "2026-W49"), ("上星期", "2026-W49"), ("上礼拜", "2026-W49"),
        ("十月初", "2026-10"), ("10月底", "2026-10"), ("国庆节", "2026-10-01"),
        ("去年春节", "2025-01-29"), ("中秋节那天", "2026-09-25"),
    ],
)
def test_weeks_parts_of_months_and_holidays(text: str, iso: str) -> None:
    assert [p.iso for p in find_periods(text, datetime(2026, 12, 7, 10))] == [iso]
