"""Danger told before the privacy consent (split from intake.py for size).

The emergency numbers come at once (the text is read in memory). Nothing is kept and nobody
is alerted until the resident agrees, so no call is promised: the reply says that agreeing is
what lets the centre follow up, and declining or cancelling repeats the numbers.
"""

from __future__ import annotations

from typing import Any

from fengqiao.dialogs import texts
from fengqiao.dialogs.session import Session


def screen(analyzer: Any, s: Session, text: str, fmt: dict[str, str]) -> list[str]:
    """The guidance for ``text`` if it reads red, remembering the kind on the session."""
    found = analyzer.screen(text)
    if getattr(found, "risk", "blue") != "red":
        return []
    kind = "self_harm" if getattr(found, "self_harm", False) else "red"
    if s.urgent != "self_harm":
        s.urgent = kind
    return [numbers(kind, fmt) + texts.URGENT_BEFORE_CONSENT]


def numbers(kind: str, fmt: dict[str, str]) -> str:
    """110/120 and the hotline; 12356 as well when the danger is to the resident."""
    return (texts.SELF_HARM_NUMBERS if kind == "self_harm" else texts.RED_NUMBERS).format(**fmt)


def not_kept(kind: str, fmt: dict[str, str]) -> str:
    """The answer to 不同意 or 取消 after danger was told: nothing kept, the numbers again."""
    return texts.URGENT_NOT_KEPT.format(numbers=numbers(kind, fmt))
