"""Path parameters that name database rows."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

# Row ids are 64-bit: a bigger number matches no row, and must not reach the database driver
# (SQLite raises OverflowError, PostgreSQL an out-of-range error: both were 500s).
MAX_ID = 2**63 - 1

# The same bound for an id in a request body or query: out of range is a 400 naming the field
# ("太大"), not a 500 from the driver. Every integer id of a request model is a RowId
# (tests/security/test_web_guard.py checks every declared model).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def row_id(raw: str) -> int | None:
    """The id in `raw`, or None when it cannot name a row (not digits, zero, too big)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:  # "²" and "٣" are digits too
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def path_id(request: web.Request, name: str = "id") -> int | None:
    return row_id(request.match_info.get(name, ""))
