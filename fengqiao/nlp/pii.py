"""Masking of personal data (placeholder until the NLP extractors land)."""

from __future__ import annotations

import re

_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask(text: str) -> str:
    text = _ID.sub(lambda m: m.group(1)[:3] + "*" * 13 + m.group(2)[-2:], text)
    return _PHONE.sub(r"\1****\2", text)
