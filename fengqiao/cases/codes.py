"""Case codes (一案一码): FQ + year/month + random part + a check character.

The random part keeps codes unguessable; the Luhn mod 32 check character rejects any single
mistyped character and most swaps of neighbours, so a typo never shows someone else's case.
Crockford's alphabet avoids I, L, O, U; when reading, O is taken as 0 and I/L as 1.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_N = len(ALPHABET)
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_CODE = re.compile(r"^FQ(\d{4})-([0-9A-Z]{6})-([0-9A-Z])$")
# Where codes appear inside free text (chat messages, QR scene values).
CODE_IN_TEXT = re.compile(r"FQ\d{4}\s*-?\s*[0-9A-Za-z]{6}\s*-?\s*[0-9A-Za-z]", re.IGNORECASE)


def check_char(payload: str) -> str:
    factor = 2
    total = 0
    for ch in reversed(payload):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // _N + addend % _N
    return ALPHABET[(_N - total % _N) % _N]


def new_code(now: datetime) -> str:
    # One read of the system's randomness, not one per character; 256 is a multiple of the
    # alphabet's 32, so taking each byte modulo 32 keeps every character equally likely.
    body = "".join(ALPHABET[b % _N] for b in secrets.token_bytes(6))
    head = f"FQ{now:%y%m}"
    return f"{head}-{body}-{check_char(head + body)}"


def normalise(raw: str) -> str | None:
    """The canonical code for what a person typed, or None if it is not a valid code."""
    text = re.sub(r"[\s\-–—_]", "", raw.upper()).translate(str.maketrans("OIL", "011"))
    if len(text) != 13 or not text.startswith("FQ"):
        return None
    text = "FQ" + text[2:]
    if any(c not in _INDEX for c in text[2:]):
        return None
    head, body, check = text[:6], text[6:12], text[12]
    if not head[2:].isdigit() or check_char(head + body) != check:
        return None
    return f"{head}-{body}-{check}"


def is_valid(code: str) -> bool:
    return normalise(code) == code and bool(_CODE.match(code))
