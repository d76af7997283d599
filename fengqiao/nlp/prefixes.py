"""The first two characters a regex match can begin with, to find the places worth trying.

The risk screen tries its phrase groups and cues only where a match can start. Found by the
first character alone, those places include every 我, 他, 不 of a text, and most of the time
went to trying, from Python, a pattern that then failed there. A search for the possible
two-character beginnings (an alternation of literals, which `re` scans for in C) stops far
less often, and skips only places where no match can begin.
"""

from __future__ import annotations

import _sre
import hashlib
import marshal
import os
import re
import re._compiler as sre_compile
import re._constants as sre_constants
import re._parser as sre_parse
import sys
import tempfile
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_MAX_CLASS = 256  # a wider character class is not expanded: a match may start anywhere
_MAX_HEADS = 8000  # more two-character beginnings than this: first characters only (600 made
# a dozen cues with large word classes fall back to 不, 了, 上 …; compiled code is remembered)
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


def starts_for(pattern: str, first: frozenset[str]) -> re.Pattern[str]:
    """What finds the places a match of ``pattern`` can begin: its possible first two
    characters where they are known, else ``first``, its first characters (remembered)."""
    return compiled(remembered("starts", "".join(sorted(first)) + "\0" + pattern, _starts_of))


def _starts_of(key: str) -> str:
    chars, _, pattern = key.partition("\0")
    found = remembered("heads", pattern, _frozen_heads)
    first = frozenset(chars)
    return starts_source(first if found is None or not {h[0] for h in found} <= first
                         else found)


def _frozen_heads(pattern: str) -> frozenset[str] | None:
    found = heads(pattern)
    return None if found is None else frozenset(found)


def starts_pattern(found: AbstractSet[str]) -> re.Pattern[str]:
    """A pattern whose `search` finds the next place where one of these beginnings is."""
    return compiled(starts_source(found))


def starts_source(found: AbstractSet[str]) -> str:
    """The text of `starts_pattern`."""
    singles = {h for h in found if len(h) == 1}
    seconds: dict[str, set[str]] = {}
    for h in found:
        if len(h) == 2 and h[0] not in singles:
            seconds.setdefault(h[0], set()).add(h[1])
    # One branch per first character, starting with it (so `re` scans for the first
    # characters in C), its second characters a class.
    parts = [f"{re.escape(first)}{_klass(nexts)}" for first, nexts in sorted(seconds.items())]
    parts += [re.escape(h) for h in sorted(singles)]
    if len(parts) <= _FLAT_MAX:
        return "|".join(parts)
    return _tree([(first, branch) for first, branch in zip([*sorted(seconds), *sorted(singles)],
                                                         parts)])


# `re` searches a flat alternation of branches that each begin with a character for the
# places holding a first character (in C), then tries the branches there one by one: with
# many branches that is most of the cost (the harmless senses' 228: 6.9 µs a text). A tree
# of lookaheads picks the branches in a few class tests but is tried at every place, ≈ 1 µs
# a text more: it pays above about a hundred branches (measured on each starts pattern).
_FLAT_MAX = 128
_LEAF = 16  # branches tried one by one at the bottom of `_tree`


def _tree(parts: list[tuple[str, str]]) -> str:
    """The alternation of the branches (first character, branch), nested in halves, each
    behind a lookahead for its first characters (harmless senses: 6.9 → 3.7 µs a text). A
    match begins at the same places."""
    if len(parts) <= _LEAF:
        return "|".join(branch for _, branch in parts)
    half = len(parts) // 2
    return "|".join(f"(?={_klass({first for first, _ in side})})(?:{_tree(side)})"
                    for side in (parts[:half], parts[half:]))


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


_MAX_PAIR_GATES = 2


def required_pairs(pattern: str) -> tuple[frozenset[str], ...]:
    """Sets of two-character strings such that every match of ``pattern`` holds one string
    of each set (the fewest-string sets, at most two; none holding a ，, since a text's pairs
    are taken between its commas). Where the characters a match needs are common (让, 带,
    我), the pairs they must form (不让, 带走) are rare: a cue or rule tried on most texts
    is skipped on most (remembered)."""
    return remembered("pairs", pattern, _required_pairs)  # type: ignore[no-any-return]


def _required_pairs(pattern: str) -> tuple[frozenset[str], ...]:
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return ()
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return ()
    gates = [g for g in _pairs(list(parsed), None)[0] if not any("，" in p for p in g)]
    gates.sort(key=len)
    kept = [frozenset(g) for g in gates[:_MAX_PAIR_GATES]]
    # Its possible first two characters, when every match has two (a text holding none of
    # them was searched for them in vain: a third of the cues tried, before this gate).
    begins = heads(pattern)
    if begins and all(len(h) == 2 and "，" not in h for h in begins) and begins not in kept:
        kept.append(frozenset(begins))
    return tuple(kept)


_MAX_PAIRS = 64  # a gate of more pairs than this is not made


def _pairs(seq: list[tuple[Any, Any]], lead: set[str] | None
           ) -> tuple[list[set[str]], set[str] | None]:
    """For a parsed sequence whose match always comes right after one of the characters
    ``lead`` (None: not known): sets of two-character strings the text must hold one of
    each, and the characters the match may end with (None: not known). A character or a
    small class after one gives their pairs; an alternation, the union of one set of each
    alternative; anything else (a wider class, a repeat that may be skipped, an anchor or
    a lookaround) ends what is known."""
    out: list[set[str]] = []
    last = lead
    for op, arg in seq:
        chars = _small_class(op, arg)
        if chars is not None:
            if last and len(last) * len(chars) <= _MAX_PAIRS:
                out.append({a + b for a in last for b in chars})
            last = chars
        elif op is sre_constants.SUBPATTERN and not arg[1] and not arg[2]:
            inner, last = _pairs(list(arg[-1]), last)
            out.extend(inner)
        elif op is sre_constants.BRANCH:
            union: set[str] | None = set()
            ends: set[str] | None = set()
            for branch in arg[1]:
                inner, end = _pairs(list(branch), last)
                union = union | min(inner, key=len) if inner and union is not None else None
                ends = ends | end if end is not None and ends is not None else None
            if union:
                out.append(union)
            last = ends if ends and len(ends) <= _MAX_CLASS_PAIRED else None
        else:
            if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and arg[0] >= 1:
                out.extend(_pairs(list(arg[2]), last)[0])  # it is there at least once
            last = None
    return out, last


_MAX_CLASS_PAIRED = 16


def _small_class(op: Any, arg: Any) -> set[str] | None:
    """The characters of a literal or of a class of at most 16 listed characters."""
    if op is sre_constants.LITERAL:
        return {chr(arg)}
    if op is not sre_constants.IN or len(arg) > _MAX_CLASS_PAIRED:
        return None
    chars = set()
    for item_op, item in arg:
        if item_op is not sre_constants.LITERAL:
            return None  # a range, a category, a negation
        chars.add(chr(item))
    return chars


def split(pattern: str, first: frozenset[str] | None,
          first_of: Callable[[str], frozenset[str] | None]) -> list[tuple[str, Any]]:
    """(alternative, the characters it can start with: ``first_of``, remembered) for each of
    the pattern's top-level alternatives; the pattern whole (with ``first``) if that is not
    known for one of them. A phrase group's alternation for one starting character holds
    only the alternatives that can start with it: `re` entered each of the others (a group,
    a class) to fail there (the harmless senses' by a half)."""
    parts = [(alt, remembered("first", alt, first_of)) for alt in alternatives(pattern)]
    return parts if all(f is not None for _, f in parts) else [(pattern, first)]


def alternatives(pattern: str) -> tuple[str, ...]:
    """The pattern's top-level alternatives: its text split at each ``|`` outside groups and
    character classes (``"|".join`` of them is the pattern). Remembered."""
    return remembered("alternatives", pattern, _alternatives)  # type: ignore[no-any-return]


def _alternatives(pattern: str) -> tuple[str, ...]:
    parts: list[str] = []
    depth = start = i = 0
    n = len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 1  # the escaped character is skipped with it
        elif char == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":
                i += 1  # a ] first in a class is a literal
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return tuple(parts)


# What the risk screen works out from its patterns at start-up (first characters, required
# characters, beginnings, word classes) took Python's regex parser a third of the start-up:
# it is remembered per pattern text, and kept in the data directory beside the model.
_MEMO: dict[tuple[str, str], Any] = {}
_ADDED: list[bool] = [False]


def remembered(kind: str, pattern: str, analyse: Callable[[str], T]) -> T:
    """``analyse(pattern)``, worked out once per pattern text (values marshal can store)."""
    key = (kind, pattern)
    if key in _MEMO:
        return _MEMO[key]  # type: ignore[no-any-return]
    value = _MEMO[key] = analyse(pattern)
    _ADDED[0] = True
    return value


def compiled(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, the same pattern object (`==` compares the compiled code),
    from the code Python's regex compiler gave for it, remembered with the analyses: parsing
    and compiling the risk screen's 1,400 patterns (cues, and the phrase groups' patterns
    for each starting character) cost a quarter of the start-up, or as much again during a
    run when they were compiled on first use. Pattern texts only, no flags."""
    flags, code, groups, groupindex, indexgroup = remembered("sre", pattern, _sre_code)
    return _sre.compile(pattern, flags, code, groups, groupindex, indexgroup)  # type: ignore[no-any-return]


def _sre_code(pattern: str) -> tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]:
    """What `re._compiler.compile` hands to `_sre.compile` (as plain ints, for marshal)."""
    parsed = sre_parse.parse(pattern, 0)
    code = [int(op) for op in sre_compile._code(parsed, 0)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (int(parsed.state.flags), code, parsed.state.groups - 1, groupindex,
            tuple(indexgroup))


def spans_only(pattern: str) -> re.Pattern[str]:
    """`compiled`, its groups not captured: for the risk screen's patterns, whose matches are
    read only for where they begin and end. The same places match, tried in the same order
    (capturing changes no choice `re` makes), but `re` tries a branch that begins with a
    group at every place, while one that begins with a character (or a class, as
    ``(?:用|拿)`` is parsed) is skipped at once where that character is not: the detention
    cue, mostly such branches, took a third less."""
    flags, code, groups, groupindex, indexgroup = remembered("spans", pattern, _span_code)
    return _sre.compile(pattern, flags, code, groups, groupindex, indexgroup)  # type: ignore[no-any-return]


def _span_code(pattern: str) -> tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]:
    parsed = sre_parse.parse(pattern, 0)
    if not _drop_groups(parsed.data):
        return _sre_code(pattern)  # a group referred back to must be captured
    code = [int(op) for op in sre_compile._code(parsed, 0)]
    return int(parsed.state.flags), code, 0, {}, (None,)


def _drop_groups(items: list[tuple[Any, Any]]) -> bool:
    """Makes the parsed pattern's groups non-capturing, in place; False if one is referred
    back to (then the parse is not to be used)."""
    for index, (op, arg) in enumerate(items):
        if op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            return False
        if op is sre_constants.SUBPATTERN:
            group, add_flags, del_flags, sub = arg
            items[index] = (op, (None, add_flags, del_flags, sub))
            parts = [sub]
        elif op is sre_constants.BRANCH:
            parts = arg[1]
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT,
                    sre_constants.POSSESSIVE_REPEAT):
            parts = [arg[2]]
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            parts = [arg[1]]
        elif op is sre_constants.ATOMIC_GROUP:
            parts = [arg]
        else:
            continue
        if not all(_drop_groups(part.data) for part in parts):
            return False
    return True


def _memo_path(cache_dir: Path) -> Path:
    # The analysis code and Python's parser and regex compiler decide the values: a change
    # to either is a new file.
    digest = hashlib.sha256(f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}".encode())
    for name in ("prefixes.py", "risk_cues.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return cache_dir / f"patterns-{digest.hexdigest()[:16]}.marshal"


def load_memo(cache_dir: Path) -> None:
    path = _memo_path(cache_dir)
    try:
        stored = marshal.loads(path.read_bytes())  # noqa: S302 - our own cache file in the data dir
    except (OSError, EOFError, ValueError, TypeError):
        return  # none yet, or torn: worked out again and rewritten
    if isinstance(stored, dict):
        _MEMO.update({k: v for k, v in stored.items() if k not in _MEMO})


def save_memo(cache_dir: Path) -> None:
    """Writes the remembered analyses if any were added since the last load or save."""
    if not _ADDED[0]:
        return
    path = _memo_path(cache_dir)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(marshal.dumps(_MEMO))
    os.replace(tmp, path)
    _ADDED[0] = False
    for old in cache_dir.glob("patterns-*.marshal"):
        if old != path:
            old.unlink(missing_ok=True)
