"""jieba tokenizer with the dispute vocabulary, cached in the data directory.

jieba's own cache goes to the system temp directory; we build the dictionary (jieba's, trimmed,
plus ours) and its prefix cache in ``<data dir>/nlp/``, keyed by a hash of their inputs, so a
deployed service starts from a prebuilt cache (about 0.2 s) and never writes elsewhere.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import math
import os
import re
import tempfile
from pathlib import Path

import jieba

USERDICT_NAME = "jieba_userdict.txt"
MIN_FREQ = 5
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_JIEBA_HAN = jieba.re_han_default  # what jieba treats as text to segment
_LATIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_DIGITS = re.compile(r"\d")
# 两万三, 三千块, 两个: numerals say how much, not what the dispute is about.
_CN_NUMERAL = re.compile(r"^[零〇一二两三四五六七八九十百千万亿几半]+(?:块钱|块|元|万元|个)?$")
_PUNCT = re.compile(r"^[\W_]+$")

jieba.setLogLevel(logging.WARNING)


def _dictionary_lines(config_dir: Path, extra_words: list[str]) -> list[str]:
    """jieba's dictionary without its rarest words, plus the dispute vocabulary.

    Words seen fewer than MIN_FREQ times in jieba's corpus are almost never in complaints, and
    dropping them makes the prefix dictionary load three times faster (start-up budget).
    Single characters are always kept so every text can still be cut.
    """
    bundled = Path(jieba.__file__).parent / "dict.txt"
    lines: list[str] = []
    for line in bundled.read_text(encoding="utf-8").splitlines():
        word, freq = line.split(" ")[:2]
        if len(word) == 1 or int(freq) >= MIN_FREQ:
            lines.append(f"{word} {freq}")
    userdict = config_dir / USERDICT_NAME
    if userdict.exists():
        for line in userdict.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                lines.append(f"{parts[0]} {parts[1] if len(parts) > 1 else 1000}")
    lines.extend(f"{word} 800" for word in extra_words if " " not in word)
    return lines


def build_tokenizer(config_dir: Path, cache_dir: Path, extra_words: list[str]) -> jieba.Tokenizer:
    """A jieba tokenizer whose dictionary and prefix cache both live in ``cache_dir``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(f"{jieba.__version__}|{MIN_FREQ}|".encode())
    userdict = config_dir / USERDICT_NAME
    if userdict.exists():
        digest.update(userdict.read_bytes())
    digest.update("\n".join(extra_words).encode())
    key = digest.hexdigest()[:16]
    dictionary = cache_dir / f"jieba-dict-{key}.txt"
    if not dictionary.exists():
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=dictionary.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(_dictionary_lines(config_dir, extra_words)) + "\n")
        os.replace(tmp, dictionary)
        for old in cache_dir.glob("jieba-*"):
            if key not in old.name:
                old.unlink(missing_ok=True)
    tokenizer = jieba.Tokenizer(dictionary=str(dictionary))
    tokenizer.tmp_dir = str(cache_dir)
    tokenizer.cache_file = f"jieba-{key}.cache"
    # jieba reads its prefix cache with marshal.load on the open file, which reads object by
    # object (0.2 s more than reading the file at once): the same check and the same data,
    # read in one go. A missing, older or torn cache is left to jieba, which rebuilds it.
    cache = cache_dir / tokenizer.cache_file
    try:
        if cache.stat().st_mtime > dictionary.stat().st_mtime:
            tokenizer.FREQ, tokenizer.total = marshal.loads(cache.read_bytes())  # noqa: S302 - our own cache, as jieba reads it
            tokenizer.initialized = True
    except (OSError, EOFError, ValueError, TypeError):
        tokenizer.initialized = False
    tokenizer.check_initialized()
    return tokenizer


def _segment(tokenizer: jieba.Tokenizer, block: str, logtotal: float) -> list[str]:
    """jieba's accurate mode without HMM (``Tokenizer.cut(block, HMM=False)``) for one block of
    characters jieba treats as text: the same dictionary, the same maximum-probability path
    through the word graph, the same joining of single latin letters and digits. Written as one
    loop because jieba's generator layers cost more than the search itself, and the classifier
    runs it on every message (tests check the output equals jieba's)."""
    frequency = tokenizer.FREQ.get  # one lookup a fragment, not `in` and then `[]`
    log = math.log
    n = len(block)
    score = [0.0] * (n + 1)
    end = [0] * n
    for start in range(n - 1, -1, -1):
        best = -math.inf
        best_end = start
        i = start
        frag = block[start]
        while i < n and (count := frequency(frag)) is not None:
            if count:
                value = log(count) - logtotal + score[i + 1]
                if value >= best:  # ties go to the longer word, as in jieba
                    best, best_end = value, i
            i += 1
            frag = block[start : i + 1]
        if best == -math.inf:
            best = -logtotal + score[start + 1]
        score[start] = best
        end[start] = best_end
    words: list[str] = []
    latin = ""
    x = 0
    while x < n:
        y = end[x] + 1
        word = block[x:y]
        if y - x == 1 and word in _LATIN:
            latin += word
        else:
            if latin:
                words.append(latin)
                latin = ""
            words.append(word)
        x = y
    if latin:
        words.append(latin)
    return words


CACHE_LIMIT = 50_000  # blocks remembered per tokenizer (a few MB); cleared when full


def cut(tokenizer: jieba.Tokenizer, text: str) -> list[str]:
    """Word tokens without whitespace and punctuation; numbers collapse into one token so that
    amounts do not become vocabulary.

    jieba cuts each block (a run of text between punctuation and spaces) on its own, so the
    tokens of a block are remembered: residents repeat clauses (老板拖欠工资, 请问怎么办) and
    the same block always gives the same tokens."""
    cache: dict[str, list[str]] | None = getattr(tokenizer, "fengqiao_blocks", None)
    if cache is None:
        cache = tokenizer.fengqiao_blocks = {}
    tokens: list[str] = []
    for block in _JIEBA_HAN.split(text):
        if not block:
            continue
        found = cache.get(block)
        if found is None:
            found = _block_tokens(tokenizer, block)
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[block] = found
        tokens.extend(found)
    return tokens


def blocks(text: str) -> list[str]:
    """The blocks `cut` cuts one by one (empty strings included): ``cut(text)`` is the
    concatenation of ``cut(block)`` over them."""
    return _JIEBA_HAN.split(text)


# Chinese characters (for `han_runs`) that jieba does not count as text to cut: a run of
# Chinese holding one crosses a block boundary, so it is not the runs of the blocks joined.
OUTSIDE_BLOCKS = re.compile(r"[\u9fd6-\u9fff]")


def _block_tokens(tokenizer: jieba.Tokenizer, block: str) -> list[str]:
    if _JIEBA_HAN.match(block):
        tokenizer.check_initialized()
        words = _segment(tokenizer, block, math.log(tokenizer.total))
    else:
        words = [ch for ch in block if not ch.isspace()]
    tokens: list[str] = []
    for token in words:
        if _PUNCT.match(token):
            continue
        if _DIGITS.search(token) or (len(token) > 1 and _CN_NUMERAL.match(token)):
            token = "<num>"  # noqa: S105 - a placeholder token, not a password
        tokens.append(token.lower())
    return tokens


def han_runs(text: str) -> list[str]:
    """The runs of Chinese characters in a text (what bigrams and characters are taken from)."""
    return _HAN.findall(text)


def han_bigrams(text: str) -> list[str]:
    """Character bigrams inside runs of Chinese characters: robust to misspellings and to
    words the dictionary cuts differently."""
    grams: list[str] = []
    for run in _HAN.findall(text):
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def han_chars(text: str) -> set[str]:
    """Single Chinese characters: the last resort for words never seen whole (欠 in 欠咱)."""
    return {ch for run in _HAN.findall(text) for ch in run}
