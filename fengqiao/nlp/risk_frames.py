"""Frames that make what was said just before them harmless (`[[frame]]` in risk_cues.toml).

A threat disowned or withdrawn after it is said (他说要烧了我家，其实就是吓唬人; 他说要砍死我，
后来第二天来道了歉), an attack whose author the police already took, liability the traffic police
already set: the words that make it harmless come *after* the words a cue would read. As a
`[[harmless]]` pattern this needs a leading `[^。！？]{0,24}`, which the regex engine tries at
every character of every text (and it takes the character gate off the whole harmless
alternation). Here the frame's own words are searched (they start with known characters), and
the text before them is blanked back to ``before`` characters, never past a sentence end (or a
clause end, with ``clause = true``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fengqiao.nlp.prefixes import spans_only

_SENTENCE_END = "。！？!?\n"
_CLAUSE_END = _SENTENCE_END + "，,；;"


@dataclass(frozen=True)
class Frame:
    pattern: re.Pattern[str]
    before: int
    stops: str


class Frames:
    def __init__(self, frames: list[Frame], needed: list[int] | None = None) -> None:
        self.frames = frames
        # One search over all frames first: most texts hold none.
        self._any = spans_only("|".join(f"(?:{f.pattern.pattern})" for f in frames))
        # Each frame's gate bits (the cues' `GateBits`: characters its every match holds):
        # a text whose characters set none of the frames' bits all holds no frame. The
        # search above starts at every character (the frames begin with ，, 是 or a group),
        # ≈ 4 µs a text; most texts are skipped by the bits.
        self._needed = needed

    @classmethod
    def from_config(cls, data: list[dict[str, Any]], gates: Any = None) -> Frames | None:
        """``gates``: the cues' `GateBits`, to skip texts by their characters."""
        frames = [Frame(spans_only(str(raw["pattern"])), int(raw.get("before", 24)),
                        _CLAUSE_END if raw.get("clause") else _SENTENCE_END) for raw in data]
        if not frames:
            return None
        needed = None
        if gates is not None:
            from fengqiao.nlp.risk_cues import required_chars  # it imports this module

            needed = [gates.bits(required_chars(f.pattern.pattern)) for f in frames]
        return cls(frames, needed)

    def mask(self, text: str, blank: str, bits: int | None = None) -> str:
        """``text`` with each frame and the words before it (same length) blanked;
        ``bits``: the gate bits of the text's characters (or of a text holding it), if known:
        only the frames whose bits it sets are searched, each alone (most texts: none)."""
        frames = self.frames
        if bits is not None and self._needed is not None:
            frames = [f for f, needed in zip(frames, self._needed) if needed & bits == needed]
            if not frames:
                return text
        elif self._any.search(text) is None:
            return text
        chars: list[str] | None = None
        for frame in frames:
            for m in frame.pattern.finditer(text):
                if chars is None:
                    chars = list(text)
                start = m.start()
                while start > 0 and m.start() - start < frame.before and (
                        text[start - 1] not in frame.stops):
                    start -= 1
                chars[start:m.end()] = blank * (m.end() - start)
        return text if chars is None else "".join(chars)
