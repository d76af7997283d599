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

_SENTENCE_END = "。！？!?\n"
_CLAUSE_END = _SENTENCE_END + "，,；;"


@dataclass(frozen=True)
class Frame:
    pattern: re.Pattern[str]
    before: int
    stops: str


class Frames:
    def __init__(self, frames: list[Frame]) -> None:
        self.frames = frames
        # One search over all frames first: most texts hold none.
        self._any = re.compile("|".join(f"(?:{f.pattern.pattern})" for f in frames))

    @classmethod
    def from_config(cls, data: list[dict[str, Any]]) -> Frames | None:
        frames = [Frame(re.compile(str(raw["pattern"])), int(raw.get("before", 24)),
                        _CLAUSE_END if raw.get("clause") else _SENTENCE_END) for raw in data]
        return cls(frames) if frames else None

    def mask(self, text: str, blank: str) -> str:
        """``text`` with each frame and the words before it (same length) blanked."""
        if self._any.search(text) is None:
            return text
        chars = list(text)
        for frame in self.frames:
            for m in frame.pattern.finditer(text):
                start = m.start()
                while start > 0 and m.start() - start < frame.before and (
                        text[start - 1] not in frame.stops):
                    start -= 1
                chars[start:m.end()] = blank * (m.end() - start)
        return "".join(chars)
