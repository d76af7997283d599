"""jieba tokenizer with the dispute vocabulary, cached in the data directory.

jieba's own cache goes to the system temp directory and is rebuilt per dictionary path; we
point it into ``<data dir>/nlp/`` so a deployed service starts from a prebuilt prefix
dictionary (about 0.5 s) and never writes outside its data directory.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import jieba

USERDICT_NAME = "jieba_userdict.txt"
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_DIGITS = re.compile(r"\d")
# 两万三, 三千块, 两个: numerals say how much, not what the dispute is about.
_CN_NUMERAL = re.compile(r"^[零〇一二两三四五六七八九十百千万亿几半]+(?:块钱|块|元|万元|个)?$")
_PUNCT = re.compile(r"^[\W_]+$")

jieba.setLogLevel(logging.WARNING)


def build_tokenizer(config_dir: Path, cache_dir: Path, extra_words: list[str]) -> jieba.Tokenizer:
    cache_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = jieba.Tokenizer()  # jieba's bundled dictionary
    tokenizer.tmp_dir = str(cache_dir)
    tokenizer.cache_file = f"jieba-{jieba.__version__}.cache"
    tokenizer.initialize()
    userdict = config_dir / USERDICT_NAME
    if userdict.exists():
        tokenizer.load_userdict(str(userdict))
    for word in extra_words:
        if word not in tokenizer.FREQ or not tokenizer.FREQ[word]:
            tokenizer.add_word(word, 800)
    return tokenizer


def cut(tokenizer: jieba.Tokenizer, text: str) -> list[str]:
    """Word tokens without whitespace and punctuation; digits collapse into one token so that
    amounts do not become vocabulary."""
    tokens: list[str] = []
    for token in tokenizer.cut(text, HMM=False):
        token = token.strip()
        if not token or _PUNCT.match(token):
            continue
        if _DIGITS.search(token) or (len(token) > 1 and _CN_NUMERAL.match(token)):
            token = "<num>"
        tokens.append(token.lower())
    return tokens


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
