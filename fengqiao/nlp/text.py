"""Text normalisation done once, before any other reading of a message.

Order matters: full-width ASCII to half-width (so ＂１３８＂ is a number), Traditional to
Simplified (opencc t2s, so 工資 and 工资 are the same token), then the operator's dialect and
misspelling table from ``config/normalize.toml``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import opencc

from fengqiao.nlp.prefixes import compiled

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
# Keep Chinese sentence punctuation: it is how clauses are split later.
for _keep in "，。！？；：（）":
    _FULLWIDTH.pop(ord(_keep), None)
_FULLWIDTH[ord("￥")] = ord("¥")
# Whether a text holds any character _FULLWIDTH changes (most do not): found in C.
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_WIDE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_FULLWIDTH)) + "]")


def _traditional_chars() -> frozenset[str]:
    """Every character that can make t2s change a text; a text without any is left alone.

    opencc-python-reimplemented converts in pure Python (~60 µs a message). Most messages are
    already Simplified, so this check keeps the common path cheap without changing results.
    """
    base = Path(opencc.__file__).parent / "dictionary"
    chars: set[str] = set()
    phrases: list[tuple[str, str]] = []
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        for line in (base / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            value = values.split(" ")[0]
            if not key or value == key:
                continue
            if len(key) == 1:
                chars.add(key)
            else:
                phrases.append((key, value))
    # A phrase is converted only where the whole phrase is in the text: one that holds a
    # character already watched needs nothing more. Watching its changed characters too made
    # 么 a trigger (么麼 → 幺麽), and every 什么 and 怎么 went through the converter.
    for key, value in phrases:
        if not chars.isdisjoint(key):
            continue
        if len(value) == len(key):
            # Only the characters that change can trigger a change.
            chars.update(k for k, v in zip(key, value) if k != v)
        else:
            chars.update(key)
    return frozenset(chars)


class Normalizer:
    """Turns raw resident text into the one form every reader of it sees."""

    def __init__(self, replacements: dict[str, str]) -> None:
        self._converter = opencc.OpenCC("t2s")
        self._converter.convert("測試")  # loads the dictionaries now, not on the first message
        self._trad = _traditional_chars()
        # The same test as a character class searched in C (its code remembered), for the
        # characters below U+10000 only: `re` tries the others one by one at each character.
        self._trad_any = compiled("[" + "".join(
            re.escape(ch) for ch in sorted(self._trad) if ord(ch) <= 0xFFFF) + "]")
        self._replacements = replacements
        keys = sorted(replacements, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    @classmethod
    def from_config(cls, config_dir: Path) -> Normalizer:
        path = config_dir / "normalize.toml"
        table: dict[str, str] = {}
        if path.exists():
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            for section in data.values():
                if isinstance(section, dict):
                    table.update({str(k): str(v) for k, v in section.items()})
        return cls(table)

    def to_simplified(self, text: str) -> str:
        if not text:
            return ""
        if _WIDE.search(text) is not None:
            text = text.translate(_FULLWIDTH)
        if self._trad_any.search(text) is not None or (
                _ASTRAL.search(text) is not None and not self._trad.isdisjoint(text)):
            text = self._converter.convert(text)
        return text

    def normalize(self, text: str) -> str:
        text = self.to_simplified(text)
        if self._pattern is not None and text:
            text = self._pattern.sub(lambda m: self._replacements[m.group(0)], text)
        return text
