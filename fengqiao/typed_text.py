"""Control characters in what people type, checked the same way at every door: HTTP bodies,
queries and paths (web/kit/models.py, web/kit/door.py) and the video room's chat
(mediation_room/session.py).

A NUL (``\\u0000``) is valid JSON and valid in a form or a websocket message, but PostgreSQL can
neither store nor compare it in text: it is refused with a polite message (that does not show
the character back). Other control characters (bell, backspace, escape…) are not text anyone
means to send; where text is kept as typed (the room's chat) they are dropped.
"""

from __future__ import annotations

import re
from typing import Any

NUL_TEXT = "内容含有无法保存的不可见控制字符，请删除后重试"

# C0 controls and DEL, except tab, line feed and carriage return.
_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides in any string (key or value) of ``value``."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def without_controls(text: str) -> str:
    """``text`` without control characters other than tab and line breaks (NUL included)."""
    return _CONTROLS.sub("", text.replace("\x00", ""))
