"""Password rules for staff accounts: what `accounts.create_user` (and anything else that sets
a password) refuses, and why, in Chinese and English.

Length is what makes a password hard to guess, so the rules ask for 10 characters and no
particular mix of them; what they refuse is what guessers try first: the common passwords
(fengqiao.common_passwords, also with digits or symbols around them and with letters written
as digits, p@ssw0rd), sequences and keyboard walks (1234567890, abcdefghij, qwertyuiop,
1qaz2wsx3edc), repeats, too few different characters, the username, and a phone number, an
ID number or a date, which anyone who knows the person can find.
"""

from __future__ import annotations

import re
from datetime import date

from fengqiao.common_passwords import COMMON_PASSWORDS

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_DISTINCT = 5
# A password made of this many runs or fewer (a run: a sequence, a keyboard walk or a repeat,
# any length) is a pattern, not a secret: qwerty123456 is two.
MAX_PATTERN_RUNS = 3

# Every run of keys or characters a guesser walks, either way.
_WALKS = (
    "01234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "~!@#$%^&*()_+",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
    "qazwsxedcrfvtgbyhnujmikolp",
    "qawsedrftgyhujikolp",
    "azsxdcfvgbhnjmk,l.",
    "!qaz@wsx#edc$rfv%tgb^yhn&ujm*ik<(ol>)p:?",
)
_NEXT = frozenset(
    pair
    for walk in _WALKS
    for a, b in zip(walk, walk[1:], strict=False)
    for pair in ((a, b), (b, a))
)
_LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "0": "o",
        "1": "i",
        "!": "i",
        "3": "e",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
        "8": "b",
        "9": "g",
    }
)
_AFFIX = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_SEPARATORS = re.compile(r"[\W_]+")
_MOBILE = re.compile(r"(\+?86)?1[3-9]\d{9}")
_ID_NUMBER = re.compile(r"\d{17}[\dx]")
_DATE = re.compile(r"(19[2-9]\d|20[0-3]\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")

TOO_SHORT = (
    f"密码至少需要 {MIN_LENGTH} 个字符 / password must have at least {MIN_LENGTH} characters"
)
TOO_LONG = f"密码最多 {MAX_LENGTH} 个字符 / password must have at most {MAX_LENGTH} characters"
TOO_FEW_DISTINCT = (
    f"密码中不同的字符太少（至少 {MIN_DISTINCT} 种）"
    f" / password must use at least {MIN_DISTINCT} different characters"
)
PATTERN = (
    "密码不能由连续、重复或键盘上相邻的字符组成（如 1234567890、abcdefghij、qwertyuiop）"
    " / password must not be a sequence, a repeat or a row of keys"
)
HAS_USERNAME = "密码不能包含用户名 / password must not contain the username"
COMMON = "这个密码太常见，很容易被猜到，请换一个 / password is too common, choose another"
PERSONAL = (
    "密码不能是手机号、身份证号或日期 / password must not be a phone number, ID number or date"
)


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` may not be set for `username` (Chinese / English), or None if it may."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    text = password.casefold()
    if len(set(text)) < MIN_DISTINCT:
        return TOO_FEW_DISTINCT
    name = username.strip().casefold()
    if len(name) >= 3 and (name in text or name in _SEPARATORS.sub("", text)):
        return HAS_USERNAME
    if _is_personal(text):
        return PERSONAL
    if _runs(text) <= MAX_PATTERN_RUNS or _repeats_a_weak_unit(text):
        return PATTERN
    if _is_common(text):
        return COMMON
    return None


def _runs(text: str) -> int:
    """How many runs `text` is made of: a character that repeats the one before or follows it
    in a walk (either way) continues a run; any other starts a new one."""
    return 1 + sum(
        1 for a, b in zip(text, text[1:], strict=False) if a != b and (a, b) not in _NEXT
    )


def _repeats_a_weak_unit(text: str) -> bool:
    """`text` is a shorter unit said again (passwordpassword, abc1abc1abc1)."""
    for size in range(1, len(text) // 2 + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[: len(text)] == text:
            return size <= 5 or _is_common(unit) or _runs(unit) <= MAX_PATTERN_RUNS
    return False


def _is_common(text: str) -> bool:
    base = _AFFIX.sub("", text)
    candidates = {text, base, _SEPARATORS.sub("", text), _SEPARATORS.sub("", base)}
    candidates |= {c.translate(_LEET) for c in candidates}
    candidates |= {_AFFIX.sub("", c) for c in candidates}
    return any(c in COMMON_PASSWORDS for c in candidates if c)


def _is_personal(text: str) -> bool:
    digits = _SEPARATORS.sub("", text)
    if _MOBILE.fullmatch(digits) or _ID_NUMBER.fullmatch(digits):
        return True
    if not digits.isdigit():
        return False
    for found in _DATE.finditer(digits):
        try:
            date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            continue
        return True
    return False
