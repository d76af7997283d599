"""Checks for dialog answers. Each returns the cleaned value, or None to re-ask."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from fengqiao.dialogs import texts
from fengqiao.nlp.money import SERVICE_NUMBERS

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


# The dialog's command and answer words (取消, 进度, 返回, 确认, 是, 好的 …): replies to the
# dialog, never someone's name. The same lists the dialog matches commands with.
_DIALOG_WORDS = frozenset(
    w.lower()
    for words in (
        *texts.COMMAND_WORDS.values(), texts.YES_WORDS, texts.NO_WORDS, texts.SUBMIT_WORDS
    )
    for w in words
)
_EDIT = re.compile(r"(?:修改|改)\d*")


def is_not_a_name(text: str) -> bool:
    """"不知道", "不告诉你", "匿名" … given for the applicant's own name, or a command word
    (确认, 取消, 进度 …): not a name. ``text`` as the dialog matches words: bare and
    Simplified (Intake._word), so 確認 arrives as 确认."""
    whole = bare(text)
    word = whole.removeprefix("我").removesuffix("了").removesuffix("吧")
    return (
        whole in texts.NOT_A_NAME
        or word in texts.NOT_A_NAME
        or "匿名" in word
        or whole in _DIALOG_WORDS
        or _EDIT.fullmatch(whole) is not None
    )


def text_answer(text: str) -> str | None:
    if not _MEANINGFUL.search(text) or len(text) > 500:
        return None
    return text


_DASHES = str.maketrans({c: "-" for c in "—–‐‑－·.．_~～"})
_MOBILE_IN_TEXT = re.compile(
    r"(?<![0-9])(?:(?:\+?86|0086)[- ]*)?(1[3-9]\d)[- ]*(\d{4})[- ]*(\d{4})(?![0-9])")
_LANDLINE_IN_TEXT = re.compile(r"(?<![0-9])\(?(0\d{2,3})\)?[- ]*(\d{3,4}[- ]?\d{4})(?![0-9])")
_NAME_TAIL = re.compile(r"[\s，,。:：]*(电话|手机|手机号|号码|联系方式)?(是)?[\s，,。:：]*$")
_COUNTRY = re.compile(r"^\s*(?:\+?86|0086)")


def _normal(text: str) -> str:
    """Fullwidth forms folded (NFKC), dashes made one, and every other script's decimal digits
    (١٣٩…, which NFKC keeps and ``\\d`` matches) made ASCII: a number is stored as digits an
    SMS gateway can dial, never as a mixture."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def phone_answer(text: str) -> str | None:
    """A mobile number (dashes, spaces, +86/0086 and words around it allowed: "电话138-1234-5678")
    as 11 digits, or a landline as 区号-号码; None if there is none or the digits are too many
    to be one number."""
    text = _normal(text)
    if len(re.sub(r"\D", "", _COUNTRY.sub("", text))) > 12:
        return None  # two numbers, an ID or a card: ask again rather than guess
    mobile = _MOBILE_IN_TEXT.search(text)
    if mobile:
        return "".join(mobile.groups())
    landline = _LANDLINE_IN_TEXT.search(text)
    if landline:
        return f"{landline.group(1)}-{re.sub(r'[- ]', '', landline.group(2))}"
    return None


def name_answer(text: str) -> tuple[str | None, str | None]:
    """(name, phone) from an answer to "who": a phone number is never a name, but a name with a
    number after it gives both ("张三 13812345678")."""
    phone = phone_answer(text)
    rest = text
    if phone:
        rest = _MOBILE_IN_TEXT.sub(" ", _normal(text))
        rest = _LANDLINE_IN_TEXT.sub(" ", rest)
    rest = _NAME_TAIL.sub("", rest).strip()
    if re.search(r"\d{5,}", rest) or not re.search(r"[\u4e00-\u9fffA-Za-z]", rest):
        return None, phone
    return text_answer(rest), phone


def amount_answer(text: str, analysis: Any) -> float | int | None:
    """The amount in an answer to "how much". A bare number counts only when it could be a sum
    of money (100 or more, not a hotline, phone or ID number): "3" or "12345" alone is asked
    again with a unit rather than stored as 3元 or 12,345元."""
    amounts = list(getattr(analysis, "amounts_yuan", []) or [])
    if amounts:
        return amounts[0]
    plain = re.fullmatch(r"\d+(\.\d+)?", unicodedata.normalize("NFKC", text).replace(",", ""))
    if not plain or plain.group() in SERVICE_NUMBERS or len(plain.group()) >= 11:
        return None
    value = float(plain.group())
    if value < 100:
        return None
    return int(value) if value.is_integer() else value


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
_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def format_date(value: str) -> str:
    """2023 → 2023年, 2023-12 → 2023年12月, 2023-12-31 → 2023年12月31日, 2023-W48 → 2023年11月27日
    那一周; else as it is."""
    week = _ISO_WEEK.fullmatch(value)
    if week:
        try:
            monday = date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
        except ValueError:
            return value
        return f"{monday.year}年{monday.month}月{monday.day}日那一周"
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
