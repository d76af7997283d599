from __future__ import annotations

import pytest

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
