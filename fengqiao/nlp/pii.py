"""Personal data in free text: mobile numbers, ID numbers, bank cards, and masking.

``mask`` is the one masking function for logs, lists and public pages. It masks more than
the extractors find (an ID number with a typo is still someone's ID number), while the
extractors only return numbers that pass their checksum.
"""

from __future__ import annotations

import re
from datetime import date

# A digit run is only a phone/ID/card if no other digit or latin letter touches it: an order
# number "SF1381234567890" or a 20-digit serial must not yield a phone.
_EDGE_L = r"(?<![0-9A-Za-z])"
_EDGE_R = r"(?![0-9A-Za-z])"

_MOBILE = re.compile(
    _EDGE_L + r"(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})" + _EDGE_R
)
_ID18 = re.compile(_EDGE_L + r"(\d{17}[\dXx])" + _EDGE_R)
_CARD = re.compile(_EDGE_L + r"(\d{4}(?:[ -]?\d{4}){2}[ -]?\d{4,7})" + _EDGE_R)
_LONG_DIGITS = re.compile(_EDGE_L + r"\d{15,19}" + _EDGE_R)
_LANDLINE = re.compile(_EDGE_L + r"(0\d{2,3})-(\d{7,8})" + _EDGE_R)
# Words that say the number after them is not a phone even when it looks like one.
_NOT_PHONE_BEFORE = re.compile(r"(订单|单号|快递|运单|编号|账号|卡号|流水|工号|学号|qq|QQ)[号:：\s]*$")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """GB 11643-1999: weighted sum mod 11 of the first 17 digits picks the check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def _id_birth_ok(number: str) -> bool:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= date.today().year


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if not digits:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_phones(text: str) -> list[str]:
    """Mainland mobile numbers (11 digits, 13x–19x), spaces/dashes and +86 allowed."""
    found: list[str] = []
    for m in _MOBILE.finditer(text):
        if _NOT_PHONE_BEFORE.search(text[max(0, m.start() - 8) : m.start()]):
            continue
        number = "".join(m.groups())
        if number not in found:
            found.append(number)
    return found


def find_id_numbers(text: str) -> list[str]:
    """18-character resident ID numbers whose checksum and birth date are valid."""
    found: list[str] = []
    for m in _ID18.finditer(text):
        number = m.group(1).upper()
        if id_checksum_ok(number) and _id_birth_ok(number) and number not in found:
            found.append(number)
    return found


def find_bank_cards(text: str) -> list[str]:
    """16–19 digit card numbers (grouping spaces allowed) that pass the Luhn check.

    A valid ID number is never reported as a card even if it happens to pass Luhn.
    """
    found: list[str] = []
    for m in _CARD.finditer(text):
        number = re.sub(r"[ -]", "", m.group(1))
        if not 16 <= len(number) <= 19 or not luhn_ok(number):
            continue
        if len(number) == 18 and id_checksum_ok(number):
            continue
        if number not in found:
            found.append(number)
    return found


def _mask_id(number: str) -> str:
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def _mask_card(m: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", m.group(0))
    if len(digits) == 15:  # first-generation 15-digit ID number
        return _mask_id(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask(text: str) -> str:
    """Masks mobile numbers (138****1111), ID numbers (110*************1X) and bank cards
    (***************1234), plus landlines (0571-****5678). Safe on any string."""
    if not text:
        return text or ""
    text = _ID18.sub(lambda m: _mask_id(m.group(1)), text)
    text = _CARD.sub(_mask_card, text)
    text = _LONG_DIGITS.sub(_mask_card, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)[-4:]}", text)
    return text


_COMPOUND_SURNAMES = frozenset(
    ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "长孙", "宇文", "尉迟", "公孙", "夏侯", "端木", "西门", "南宫", "独孤", "申屠", "轩辕", "澹台", "呼延", "万俟", "闻人", "赫连", "钟离", "百里", "东郭", "太史", "拓跋"]
)


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧阳**, 欧阳娜 -> 欧阳*, 李 -> 李 (one character gives nothing away)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    keep = 2 if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES else 1
    return name[:keep] + "*" * (len(name) - keep)
