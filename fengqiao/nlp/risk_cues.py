"""Structural red-risk cues from ``config/risk_cues.toml``.

A cue describes the shape of a danger (a means in hand with intent, a target or imminence;
self-harm; a person held; a crowd on its way; violence at home; storming a school) in word
classes an operator extends. Harmless senses (跳楼价, 气死我了) and frames (risk_frames.py) are
blanked first; a cue negated in its clause (我没拿刀) does not count unless it is a condition
(再不给钱就跳). A one-character class word (刀, 车) must be a whole jieba word (not 刀削面, 车间).
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
import tomllib
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cached_property, reduce
from operator import add, or_
from pathlib import Path
from typing import Any

from fengqiao.nlp.prefixes import remembered, required_pairs, spans_only, split, starts_for
from fengqiao.nlp.risk_frames import Frames

NEGATION = re.compile(
    r"(不|没|没有|别|未|并未|不会|不想|不要|绝不|不打算|不至于|差点|险些|不敢|不用|无需|防止|避免|以免|怕)"
    r"[^，。！？,.!?]{0,3}$"
)
_CONDITIONAL = re.compile(r"就|便|那|的话|再")
# 不弄死他不算完, 不给个说法决不罢休: a double negation is a vow, not a denial.
_VOW = re.compile(r"[^，。！？,.!?]{0,12}(不算完|没完|不罢休|不姓|誓不为人|不回来)")
# Said of the past (前几年他拿刀吓唬过我): not a danger now.
_PAST = re.compile(
    r"(?:前几年|几年前|多年前|好几年前|早年|那几年|小时候|(?<![比跟和像同])以前|曾经|去年|前年|当年"
    r"|那时候|那会儿|年轻时|年轻的时候)"
    # 去年开始天天打我, 从去年到现在: still going on.
    r"(?![^，。！？]{0,4}(到现在|至今|开始|起|一直|还在|越来越))")
_PAST_AFTER = re.compile(
    r"(那|这|都)(是|已经是)[^，。！？]{0,8}(以前|之前|前|过去)的事"
    # 以前喝酒打人，现在戒酒了: it stopped. 是游戏里的事: it never was real.
    r"|现在[^，。！？]{0,4}(好了|改了|戒了|戒酒了|和好了|没事了|不打了|好多了)"
    r"|(是|在)(游戏|小说|电视剧|电影|剧|梦)里")
_CLAUSE_BREAK = re.compile(r"[，。！？；,.!?;\n]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
BLANK = "□"
# Single-character words that are a weapon only as a whole word (刀 but not 刀削面).
_WHOLE_WORD_ONLY = frozenset("刀车枪弩")
_WEAPON_KINDS = frozenset({"weapon", "vehicle", "means"})
# Driving words jieba cuts whole: 车 in them is a vehicle used as a weapon only where the
# match shows intent (开车把人撞倒了还往前开), not in an accident (开车不看路撞了人).
_DRIVING = frozenset({"开车", "驾车", "飙车", "开着车"})
_DRIVING_INTENT = re.compile(r"故意|还往|又往|还在|继续|冲着|对着|朝着|专门|追着|掉头|(倒|飞|翻)了?(还|又)")


@dataclass(frozen=True)
class Cue:
    kind: str
    reason: str
    strong: bool
    pattern: re.Pattern[str]
    # Characters a match can start with (None: any): a text with none of them skips the cue,
    # and in others only the places holding one are tried (`starts` finds them, in C).
    first_chars: frozenset[str] | None = None
    starts: re.Pattern[str] | None = None
    # Word classes every match must contain (the {name}s of the pattern's top-level
    # sequence): a text without one of them skips the cue.
    needs: tuple[str, ...] = ()
    # Sets of characters (`required_chars`), then of character pairs (`required_pairs`),
    # every match holds one of each: a text missing any set skips the cue. Exact; it can
    # ask for the rarest part of the pattern (菜刀|斧头 …), not its common start (我, 他, 拿).
    gates: tuple[frozenset[str], ...] = ()
    # Word classes one of which the text must hold for a strong cue to be strong (a set time
    # or a means beside a bare threat); without one the hit is weak evidence for the model.
    strong_with: tuple[str, ...] = ()

    def matches(self, text: str) -> Iterator[re.Match[str]]:
        """Every place the cue matches, leftmost first (overlaps allowed): two to three times
        faster than `finditer`, which tries the whole pattern at every character."""
        if self.starts is None:
            yield from self.pattern.finditer(text)
            return
        pos = 0
        while (start := self.starts.search(text, pos)) is not None:
            found = self.pattern.match(text, start.start())
            if found is not None:
                yield found
            pos = start.start() + 1


@dataclass(frozen=True)
class CueHit:
    kind: str
    reason: str
    strong: bool
    text: str


def is_negated(text: str, start: int) -> bool:
    """True if the words just before ``start``, in the same clause, deny what follows."""
    before = _CLAUSE_BREAK.split(text[max(0, start - 8) : start])[-1]
    negation = NEGATION.search(before)
    # 再不给钱就跳下去: a condition, not a denial — the threat still counts.
    if negation is None or _CONDITIONAL.search(negation.group(0)) is not None:
        return False
    return _VOW.match(text, start) is None


# Last week or month: a fight then is for the mediator (a yellow rule still reads it), not a
# danger to act on within the hour (a red cue does not).
_RECENT_PAST = re.compile(r"上周|上礼拜|上星期|上个月|前几天|前天|上次|那次")


def _is_past(text: str, start: int, end: int | None = None, recent: bool = False) -> bool:
    """Said of the past (or of fiction): a time word before the match in its clause or
    inside it (老公以前喝酒打人), or a clause after that puts it in the past."""
    clause = _CLAUSE_BREAK.split(text[max(0, start - 12) : start])[-1]
    if end is not None:
        clause += _CLAUSE_BREAK.split(text[start:end])[0]
    if _PAST.search(clause) is not None or recent and _RECENT_PAST.search(clause) is not None:
        return True
    # 他放话要收拾我，不过那是好几年前的事了: said of the past in the clause after.
    return _PAST_AFTER.search(text, start, start + 40) is not None


def first_unnegated(matches: Iterable[re.Match[str]], text: str) -> str | None:
    for m in matches:
        if not is_negated(text, m.start()) and not _is_past(text, m.start(), m.end()):
            return m.group(0)
    return None


def first_chars(parsed: list[tuple[Any, Any]]) -> set[str] | None:
    """The characters a match of this parsed regex can start with, or None if any can."""
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            return {chr(arg)}
        if op is sre_constants.IN:
            chars: set[str] = set()
            for item_op, item in arg:
                if item_op is sre_constants.LITERAL:
                    chars.add(chr(item))
                elif item_op is sre_constants.RANGE and item[1] - item[0] < 256:
                    chars.update(chr(c) for c in range(item[0], item[1] + 1))
                else:
                    return None  # negated or wide classes: give up, scan always
            return chars
        if op is sre_constants.BRANCH:
            out: set[str] = set()
            for branch in arg[1]:
                sub = first_chars(list(branch))
                if sub is None:
                    return None
                out |= sub
            return out
        if op is sre_constants.SUBPATTERN:
            return first_chars(list(arg[-1]))
        if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue  # zero-width: look at what follows
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, _, item = arg
            if low == 0:
                return None  # optional first element: keep it simple
            return first_chars(list(item))
        return None
    return None


class Phrases:
    """Patterns found as `re.finditer` finds their alternation (a rule's group, the harmless
    senses, a word class).

    Python's re tries every alternative at every place where one may start, and the larger
    groups have a hundred or more: most of the risk screen's time. When the characters each
    pattern can start with are known, a character class finds the places (in C) and only
    the patterns that can start with that character are tried there, in their own order,
    so the same pattern wins as in the alternation."""

    def __init__(self, patterns: list[str]) -> None:
        self.source = _alternation(patterns)
        firsts = [remembered("first", p, _first_chars_of) for p in patterns]
        # The characters a match can start with; None if any can.
        self.first_chars: frozenset[str] | None = None
        self._starts: re.Pattern[str] | None = None
        # The alternation for each starting character, compiled (from remembered code).
        self._by_char: dict[str, re.Pattern[str]] = {}
        if patterns and all(f is not None for f in firsts):
            self.first_chars = frozenset().union(*firsts)  # type: ignore[arg-type]
            chars = sorted(self.first_chars)
            self._starts = starts_for(self.source, self.first_chars)
            parts = [a for p, f in zip(patterns, firsts) for a in split(p, f, _first_chars_of)]
            for char in chars:  # each alternative only where it can start (prefixes.split)
                own = [p for p, f in parts if char in f]
                self._by_char[char] = spans_only(_alternation(own))

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The whole alternation (compiled when first asked: the search by starting
        character does not need it)."""
        return spans_only(self.source)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self._starts is None:
            yield from self.pattern.finditer(text)
            return
        pos = 0
        by_char = self._by_char
        while (start := self._starts.search(text, pos)) is not None:
            at = start.start()
            found = by_char[text[at]].match(text, at)
            if found is None:
                pos = at + 1
                continue
            yield found
            pos = max(found.end(), at + 1)


class GateBits:
    """Sets of characters (gates) numbered as bits: a text's characters set the bits of the
    gates they are in, and a pattern whose bits are not all set cannot match it."""

    def __init__(self) -> None:
        self._index: dict[frozenset[str], int] = {}
        self._char_bits: dict[str, int] = {}
        self._parts: dict[str, int] = {}  # a text's part between commas -> its bits

    def bits(self, gates: Iterable[frozenset[str]]) -> int:
        """The bits of these gates, numbering new ones."""
        bits = 0
        for gate in gates:
            bit = self._index.get(gate)
            if bit is None:
                bit = self._index[gate] = len(self._index)
                self._parts.clear()
                for char in gate:
                    self._char_bits[char] = self._char_bits.get(char, 0) | (1 << bit)
            bits |= 1 << bit
        return bits

    def of(self, present: frozenset[str]) -> int:
        """The bits set by a text's characters (``frozenset(text)``)."""
        return reduce(or_, filter(None, map(self._char_bits.get, present)), 0)

    def of_text(self, text: str) -> int:
        """`of` the text's characters and pairs of neighbours (`prefixes.required_pairs`),
        from its parts between commas, remembered (residents repeat clauses)."""
        known = self._parts
        bits = 0
        for part in text.split("，"):
            found = known.get(part)
            if found is None:
                found = self.of(frozenset(part).union(map(add, part, part[1:])))  # and pairs
                if len(known) >= 50_000:
                    known.clear()
                known[part] = found
            bits |= found
        return bits | self._char_bits.get("，", 0) if "，" in text else bits


def _first_chars_of(pattern: str) -> frozenset[str] | None:
    found = first_chars(list(sre_parse.parse(pattern)))
    return None if found is None else frozenset(found)


def _alternation(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def _expand(pattern: str, lexicon: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in lexicon:
            raise ValueError(f"risk_cues.toml: unknown word class {{{name}}} in {pattern!r}")
        return lexicon[name]

    return _PLACEHOLDER.sub(sub, pattern)


class CueSet:
    """The structural cues of one config directory."""

    def __init__(self, cues: list[Cue], harmless: Phrases | None,
                 weapon_words: frozenset[str] = frozenset(),
                 class_words: dict[str, Phrases] | None = None,
                 lexicon: dict[str, list[str]] | None = None) -> None:
        self.cues = cues
        self._harmless = harmless
        self.frames: Frames | None = None  # [[frame]]: see risk_frames.py
        self.class_words = class_words or {}  # each word class alone, for Cue.needs
        self._weapon_words = weapon_words  # 摩托车, 菜刀 …: where a lone 车 or 刀 may sit
        self.lexicon = lexicon or {}  # the word classes as written, for the learned model
        # Every cue's character sets (first_chars and gates) as bits: a character sets the
        # bits of the sets it is in, and a cue is tried only if all its bits are set by the
        # text's characters — one integer test per cue instead of a set test per gate.
        # The phrase rules (risk.py) add theirs to the same index: one pass over a text's
        # characters serves both.
        self.gates = GateBits()
        self._cue_bits: list[tuple[int, Cue]] = [
            (self.gates.bits((*((cue.first_chars,) if cue.first_chars else ()), *cue.gates)),
             cue) for cue in cues]
        # The characters a harmless sense or a word of a class can start with (and the pairs a
        # class word holds) as bits too (0: any): `mask` and `_has` need no set of characters.
        self._harmless_bit = self.gates.bits(
            [harmless.first_chars]) if harmless and harmless.first_chars else 0
        self._class_bits = {name: self.gates.bits([w.first_chars, *required_pairs(w.source)])
                            if w.first_chars else 0 for name, w in self.class_words.items()}

    @classmethod
    def from_config(cls, config_dir: Path) -> CueSet:
        path = config_dir / "risk_cues.toml"
        if not path.exists():
            return cls([], None)
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        lexicon: dict[str, str] = {}
        class_words: dict[str, Phrases] = {}
        for name, words in (data.get("lexicon") or {}).items():
            # Longest first, so 菜刀 wins over 刀 and the shown hit is the whole word.
            ordered = sorted(map(str, words), key=len, reverse=True)
            lexicon[name] = "(?:" + "|".join(ordered) + ")"
            class_words[name] = Phrases(ordered)
        harmless = [str(h["pattern"]) for h in data.get("harmless", [])]
        cues = []
        for raw in data.get("cue", []):
            expanded = _expand(str(raw["pattern"]), lexicon)
            firsts = remembered("first", expanded, _first_chars_of)
            starts = starts_for(expanded, frozenset(firsts)) if firsts else None
            cues.append(Cue(str(raw["kind"]), str(raw["reason"]), bool(raw.get("strong", False)),
                            spans_only(expanded), frozenset(firsts) if firsts else None, starts,
                            remembered("needs", "\0".join((str(raw["pattern"]), *lexicon)),
                                       _needs_of),
                            required_chars(expanded) + required_pairs(expanded),
                            tuple(str(n) for n in raw.get("strong_with", ()))))
        pattern = Phrases(harmless) if harmless else None
        lexicon_words = data.get("lexicon") or {}
        weapons = frozenset(str(w) for name in ("blade", "blunt", "gun", "vehicle", "fire")
                            for w in lexicon_words.get(name, ()))
        made = cls(cues, pattern, weapons, class_words,
                   {name: [str(w) for w in words] for name, words in lexicon_words.items()})
        made.frames = Frames.from_config(data.get("frame", []), made.gates)
        return made

    def mask(self, text: str, bits: int | None = None) -> str:
        """The text with harmless senses and frames blanked out (same length, so offsets still
        hold); ``bits``: the text's `gates` bits, if known."""
        masked = self._mask(text, bits)
        return masked if self.frames is None else self.frames.mask(masked, BLANK, bits)

    def _mask(self, text: str, bits: int | None = None) -> str:
        harmless = self._harmless
        if harmless is None:
            return text
        if bits is not None and self._harmless_bit:
            if not bits & self._harmless_bit:
                return text
        elif harmless.first_chars is not None and harmless.first_chars.isdisjoint(text):
            return text
        parts: list[str] = []
        last = 0
        for m in harmless.finditer(text):
            if m.end() > m.start():
                parts += (text[last:m.start()], BLANK * (m.end() - m.start()))
                last = m.end()
        return "".join(parts) + text[last:] if parts else text

    def find(self, masked: str, words: Callable[[], list[str]] | None = None,
             bits: int | None = None) -> list[CueHit]:
        """Cues found in an already masked text, one hit per cue. ``words`` gives jieba's cut
        of the text, asked for only when a single-character weapon word needs checking;
        ``bits``, the `gates` bits of the text's characters, if known."""
        hits: list[CueHit] = []
        whole: set[str] | None = None
        kinds: set[str] = set()
        has: dict[str, bool] = {}
        bits = self.gates.of_text(masked) if bits is None else bits
        # Cues missing a part they need skipped (& ~bits copied a big int); one hit per kind.
        for cue in [cue for needed, cue in self._cue_bits if needed & bits == needed]:
            if cue.kind in kinds:
                continue
            if cue.needs and not all(self._has(name, masked, bits, has) for name in cue.needs):
                continue
            for m in cue.matches(masked):
                if is_negated(masked, m.start()) or _is_past(masked, m.start(), m.end(), True):
                    continue
                found = m.group(0)
                loose = _WHOLE_WORD_ONLY.intersection(found)
                if loose and words is not None and cue.kind in _WEAPON_KINDS:
                    if whole is None:
                        whole = set(words())
                    if not any(self._whole_word(ch, found, whole) for ch in loose):
                        continue
                shown = found if len(found) <= 24 else found[:22] + "…"
                strong = cue.strong and (not cue.strong_with or any(
                    self._has(name, masked, bits, has) for name in cue.strong_with))
                if strong or not cue.strong:
                    kinds.add(cue.kind)  # a strong cue made weak leaves its kind to the others
                hits.append(CueHit(cue.kind, cue.reason, strong, shown))
                break
        return hits

    def _has(self, name: str, masked: str, bits: int, seen: dict[str, bool]) -> bool:
        """Whether the text holds a word of this class (once per text and class)."""
        if name not in seen:
            needed = self._class_bits[name]
            seen[name] = needed & bits == needed and next(
                self.class_words[name].finditer(masked), None) is not None
        return seen[name]

    def _whole_word(self, ch: str, found: str, words: set[str]) -> bool:
        """A lone 刀/车 counts if jieba cut it as a word, or it is part of a weapon word
        jieba cut whole (摩托车, 菜刀); 车间 and 刀削面 are neither."""
        return ch in words or any(
            ch in w and w in found and (w in self._weapon_words or (
                w in _DRIVING and _DRIVING_INTENT.search(found) is not None))
            for w in words)


# The commonest characters of complaints (config/training, most frequent first): a gate
# made of them skips almost nothing, so the rarest part of a pattern is asked for instead.
_BY_FREQUENCY = "了的我不家在一说人给子被工房上钱车没里是他要公老还们地个村有费年把到司天孩发伤收方对现业开合同都时来后买下修就邻院出款去水物分居小学医手打交好做两退板赔借电保用干包厂生租三月多机店和万资门半别偿金欠东让直商装自过几只期以管补着也货找婚么养事承办口场认校路候网坏区卖行十道楼撞主走拖住怎能太吗大回险理意结摔头面签得问外前定户千想倒本离班体五动块活友拆停迁银扣算贷起己二经卡很跑账放加病全征间中完新药责付朋部位墙集儿亲信饭种条转砸晚单受跟搬务安女服知每程吵求西请吃推点题拿可重作排写职话法员师证押婆民基少术狗占高八次边谁漏弄"
_COST = {ch: (20 if i < 60 else 5) for i, ch in enumerate(_BY_FREQUENCY)}
_MAX_GATES = 3


def required_chars(pattern: str) -> tuple[frozenset[str], ...]:
    """Sets of characters such that every match of ``pattern`` holds at least one character
    of each set: the rarest few (fewest and least common characters) are kept."""
    return remembered("required", pattern, _required_chars)


def _required_chars(pattern: str) -> tuple[frozenset[str], ...]:
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return ()
    gates = _required(list(parsed))
    gates.sort(key=_gate_cost)
    return tuple(frozenset(g) for g in gates[:_MAX_GATES])


def _gate_cost(gate: AbstractSet[str]) -> int:
    return sum(_COST.get(ch, 1) for ch in gate)


def _required(parsed: list[tuple[Any, Any]]) -> list[set[str]]:
    """For a parsed sequence: sets of characters a match must each hold one of."""
    out: list[set[str]] = []
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            out.append({chr(arg)})
        elif op is sre_constants.IN:
            chars: set[str] = set()
            for item_op, item in arg:
                if item_op is sre_constants.LITERAL:
                    chars.add(chr(item))
                elif item_op is sre_constants.RANGE and item[1] - item[0] < 256:
                    chars.update(chr(c) for c in range(item[0], item[1] + 1))
                else:
                    chars = set()  # negated or wide: nothing required
                    break
            if chars:
                out.append(chars)
        elif op is sre_constants.SUBPATTERN:
            out.extend(_required(list(arg[-1])))
        elif op is sre_constants.BRANCH:
            union: set[str] = set()
            for branch in arg[1]:
                inner = _required(list(branch))
                if not inner:
                    union = set()
                    break
                union |= min(inner, key=_gate_cost)
            if union:
                out.append(union)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and arg[0] >= 1:
            out.extend(_required(list(arg[2])))
    return out


def _needs_of(key: str) -> tuple[str, ...]:
    raw, *names = key.split("\0")  # the raw pattern, then the word classes' names
    return _needs(raw, names)


def _needs(raw: str, names: list[str]) -> tuple[str, ...]:
    """The word classes a cue's every match contains: those standing alone (``{crowd}`` or
    ``({crowd})``) in the top-level sequence of its pattern, outside any alternation."""
    marks = {name: chr(0xE000 + i) for i, name in enumerate(names)}
    by_mark = {ord(mark): name for name, mark in marks.items()}
    try:
        parsed = sre_parse.parse(_PLACEHOLDER.sub(lambda m: marks.get(m.group(1), "?"), raw))
    except re.error:
        return ()
    needs: list[str] = []
    for op, arg in parsed:
        if op is sre_constants.SUBPATTERN and len(arg[-1]) == 1:
            op, arg = list(arg[-1])[0]
        if op is sre_constants.LITERAL and arg in by_mark:
            needs.append(by_mark[arg])
    return tuple(dict.fromkeys(needs))
