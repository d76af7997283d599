"""Checks for dialog answers. Each returns the cleaned value, or None to re-ask."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from fengqiao.dialogs import texts

_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def normalise_input(text: str) -> str:
    """Trimmed, inner whitespace collapsed; the resident's own punctuation is kept."""
    return re.sub(r"\s+", " ", text or "").strip()


def bare(text: str) -> str:
    """Half-width, without punctuation and spaces: for matching command words and numbers."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s。，,.!！?？~～、；;:：\"'“”‘’]+", "", text).lower()


def is_skip(text: str) -> bool:
    return bare(text) in texts.SKIP_WORDS


def text_answer(text: str) -> str | None:
    if not _MEANINGFUL.search(text) or len(text) > 500:
        return None
    return text


def phone_answer(text: str) -> str | None:
    text = unicodedata.normalize("NFKC", text)
    digits = re.sub(r"[\s\-()（）+]", "", text)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.match(digits):
        return digits
    if _LANDLINE.match(text.replace(" ", "")):
        return text.replace(" ", "")
    return None


def amount_answer(text: str, analysis: Any) -> float | int | None:
    amounts = list(getattr(analysis, "amounts_yuan", []) or [])
    if not amounts:
        plain = re.fullmatch(r"\d+(\.\d+)?", unicodedata.normalize("NFKC", text).replace(",", ""))
        if plain:
            value = float(plain.group())
            return int(value) if value.is_integer() else value
        return None
    return amounts[0]


def date_answer(text: str, analysis: Any, now: datetime) -> str | None:
    """The first date in the answer, as precisely as it was given (see nlp.dates.Period)."""
    dates = list(getattr(analysis, "dates", []) or [])
    if dates:
        return str(dates[0].iso)
    return None


def choice_answer(text: str, options: list[str]) -> str | None:
    b = bare(text)
    if b.isdigit() and 1 <= int(b) <= len(options):
        return options[int(b) - 1]
    for option in options:
        if b and (b == bare(option) or bare(option).startswith(b)):
            return option
    return None


_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")  # a day only after a month


def format_date(value: str) -> str:
    """2023 → 2023年, 2023-12 → 2023年12月, 2023-12-31 → 2023年12月31日; else as it is."""
    m = _ISO_DATE.fullmatch(value)
    if not m:
        return value
    year, month, day = m.groups()
    out = f"{year}年"
    if month:
        out += f"{int(month)}月"
        if day:
            out += f"{int(day)}日"
    return out


def format_amount(value: float | int) -> str:
    if float(value).is_integer():
        return f"{int(value):,}元"
    return f"{value:,.2f}元"
