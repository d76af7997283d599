"""Case codes (一案一码): FQ + year/month + random part + a check character.

The random part keeps codes unguessable; the Luhn mod 32 check character rejects any single
mistyped character and most swaps of neighbours, so a typo never shows someone else's case.
Crockford's alphabet avoids I, L, O, U; when reading, O is taken as 0 and I/L as 1.

Reading is forgiving of how a code gets typed or pasted on a phone: full-width letters, digits
and dashes (ＦＱ２６１２－…, a Chinese input method's) are read as their ASCII forms (NFKC),
and what surrounds the code (案件编号：…, 「…」, a trailing 。) is dropped. Document codes are a
case code and eight hex digits, read the same way (``normalise_document``).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
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


_SEPARATORS = re.compile(r"[\s\-–—_‐‑‒−]")
# Whatever is not a letter or digit before the code starts or after it ends.
_AROUND = re.compile(r"^[^0-9A-Za-z]+|[^0-9A-Za-z]+$")
_DOCUMENT = re.compile(r"(.+?)[\s\-–—_‐‑‒−]*([0-9A-F]{8})")


def _as_typed(raw: str) -> str:
    """``raw`` in ASCII forms (full-width ＦＱ２６ read as FQ26), without what surrounds it."""
    return _AROUND.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def normalise(raw: str) -> str | None:
    """The canonical code for what a person typed, or None if it is not a valid code."""
    text = _SEPARATORS.sub("", _as_typed(raw)).translate(str.maketrans("OIL", "011"))
    if len(text) != 13 or not text.startswith("FQ"):
        return None
    text = "FQ" + text[2:]
    if any(c not in _INDEX for c in text[2:]):
        return None
    head, body, check = text[:6], text[6:12], text[12]
    if not head[2:].isdigit() or check_char(head + body) != check:
        return None
    return f"{head}-{body}-{check}"


def normalise_document(raw: str) -> str | None:
    """The canonical document code (``FQ2611-XXXXXX-X-1A2B3C4D``, agreement.new_doc_code) for
    what a person typed, or None if it is not one."""
    found = _DOCUMENT.fullmatch(_as_typed(raw))
    case = normalise(found.group(1)) if found else None
    return f"{case}-{found.group(2)}" if found and case else None


def is_valid(code: str) -> bool:
    return normalise(code) == code and bool(_CODE.match(code))
