"""The first two characters a regex match can begin with, to find the places worth trying.

The risk screen tries its phrase groups and cues only where a match can start. Found by the
first character alone, those places include every 我, 他, 不 of a text, and most of the time
went to trying, from Python, a pattern that then failed there. A search for the possible
two-character beginnings (an alternation of literals, which `re` scans for in C) stops far
less often, and skips only places where no match can begin.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
from typing import Any

_MAX_CLASS = 256  # a wider character class is not expanded: a match may start anywhere
_MAX_HEADS = 600  # more two-character beginnings than this: first characters only
_ZERO_WIDTH = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT)


def heads(pattern: str) -> set[str] | None:
    """Strings of one or two characters such that every match of ``pattern`` begins with
    one of them (one character: what follows it is not known, or the match may end there).
    None if a match can be empty or begin with any character."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.DOTALL | re.VERBOSE):
        return None
    found = _heads(list(parsed), 2)
    if found is None or "" in found:
        return None
    if len(found) > _MAX_HEADS:
        return {h[0] for h in found}
    return found


def starts_pattern(found: set[str]) -> re.Pattern[str]:
    """A pattern whose `search` finds the next place where one of these beginnings is."""
    singles = {h for h in found if len(h) == 1}
    seconds: dict[str, set[str]] = {}
    for h in found:
        if len(h) == 2 and h[0] not in singles:
            seconds.setdefault(h[0], set()).add(h[1])
    # One branch per first character, starting with it (so `re` scans for the first
    # characters in C), its second characters a class.
    parts = [f"{re.escape(first)}{_klass(nexts)}" for first, nexts in sorted(seconds.items())]
    parts += [re.escape(h) for h in sorted(singles)]
    return re.compile("|".join(parts))


def _klass(chars: set[str]) -> str:
    return "[" + "".join(map(re.escape, sorted(chars))) + "]"


def _class_chars(items: Any) -> set[str] | None:
    chars: set[str] = set()
    for op, arg in items:
        if op is sre_constants.LITERAL:
            chars.add(chr(arg))
        elif op is sre_constants.RANGE and arg[1] - arg[0] < _MAX_CLASS:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        else:
            return None  # negated, a category or a wide range
    return chars if len(chars) <= _MAX_CLASS else None


def _heads(seq: list[tuple[Any, Any]], depth: int) -> set[str] | None:
    """Beginnings, up to ``depth`` characters, of what a parsed sequence matches. A string
    shorter than ``depth``: the match may end there or what follows is not known. None:
    nothing is known (only returned for the first character)."""
    if depth == 0:
        return {""}
    unknown = None if depth == 2 else {""}
    for index, (op, arg) in enumerate(seq):
        rest = seq[index + 1 :]
        if op in _ZERO_WIDTH:
            continue  # it only narrows what follows
        if op is sre_constants.LITERAL or op is sre_constants.IN:
            chars = {chr(arg)} if op is sre_constants.LITERAL else _class_chars(arg)
            if chars is None:
                return unknown
            tails = _heads(rest, depth - 1) or {""}
            if len(chars) * len(tails) > _MAX_HEADS * 4:
                tails = {""}
            return {c + t for c in chars for t in tails}
        if op is sre_constants.SUBPATTERN:
            if arg[1] or arg[2]:
                return unknown  # inline flags
            return _heads(list(arg[-1]) + rest, depth)
        if op is sre_constants.BRANCH:
            out: set[str] = set()
            for branch in arg[1]:
                found = _heads(list(branch) + rest, depth)
                if found is None:
                    return None
                out |= found
            return out
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, item = arg
            if high == 0:
                continue
            if item.getwidth()[0] == 0:
                return unknown
            once = list(item)
            more = [(op, (max(low - 1, 0), high if high == sre_constants.MAXREPEAT
                          else high - 1, item))] if high != 1 else []
            found = _heads(once + more + rest, depth)
            if low == 0:
                skipped = _heads(rest, depth)
                if found is None or skipped is None:
                    return None
                found |= skipped
            return found
        return unknown
    return {""}
