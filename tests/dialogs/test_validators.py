from __future__ import annotations

import pytest

from fengqiao.dialogs import validators
from fengqiao.dialogs.validators import format_date


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2023", "2023年"),
        ("2023-03", "2023年3月"),
        ("2023-12-31", "2023年12月31日"),
        ("不清楚", "不清楚"),  # anything else as it is
        ("2023-3", "2023-3"),
        ("20231", "20231"),
    ],
)
def test_format_date(value: str, shown: str) -> None:
    assert format_date(value) == shown


@pytest.mark.parametrize(
    "text",
    ["138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "+86-138-1234-5678",
     "0086 13812345678", "138—1234—5678", "电话138-1234-5678", "１３８１２３４５６７８"],
)
def test_mobile_numbers_in_every_usual_shape(text: str) -> None:
    assert validators.phone_answer(text) == "13812345678"


def test_landline_and_rejects() -> None:
    assert validators.phone_answer("(0571) 8888 1234") == "0571-88881234"
    assert validators.phone_answer("0571-88881234") == "0571-88881234"
    assert validators.phone_answer("13812345678 13912345678") is None
    assert validators.phone_answer("110101199003071234") is None
    assert validators.phone_answer("12345") is None


def test_a_phone_number_is_never_a_name() -> None:
    assert validators.name_answer("13812345678") == (None, "13812345678")
    assert validators.name_answer("张三 138-1234-5678") == ("张三", "13812345678")
    assert validators.name_answer("王老板，电话是13812345678") == ("王老板", "13812345678")
    assert validators.name_answer("隔壁老王") == ("隔壁老王", None)
    assert validators.name_answer("123456")[0] is None


class _NoAmounts:
    amounts_yuan: list[float] = []


@pytest.mark.parametrize("text", ["3", "12345", "110", "15912345678"])
def test_bare_small_numbers_hotlines_and_phones_are_not_amounts(text: str) -> None:
    assert validators.amount_answer(text, _NoAmounts()) is None


def test_a_bare_sum_is_an_amount() -> None:
    assert validators.amount_answer("3000", _NoAmounts()) == 3000


def test_a_week_is_shown_as_a_week() -> None:
    assert validators.format_date("2026-W49") == "2026年11月30日那一周"
