"""JSON for what is stored on every turn: dialog sessions and JSON columns.

orjson encodes a session (several KB of Chinese text) about ten times faster than the
standard library. It refuses integers beyond 64 bits, which a resident can type as an
amount; those values fall back to the standard library, so nothing is ever refused.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    try:
        # Plain first: a session (string keys, JSON types only) encodes in half the time
        # without the options, which only the rare value needs.
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        pass
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, default=str).encode()


def dumps_text(value: Any) -> str:
    return dumps(value).decode()


def loads(raw: bytes | str) -> Any:
    return orjson.loads(raw)
