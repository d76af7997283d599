from __future__ import annotations

import json

import jieba
import pytest

from fengqiao.nlp import tokenize
from fengqiao.nlp.analyzer import Analyzer, default_config_dir


def _jieba_reference(tokenizer: jieba.Tokenizer, text: str) -> list[str]:
    out = []
    for token in tokenizer.cut(text, HMM=False):
        token = token.strip()
        if not token or tokenize._PUNCT.match(token):
            continue
        if tokenize._DIGITS.search(token) or (len(token) > 1 and
                                             tokenize._CN_NUMERAL.match(token)):
            token = "<num>"
        out.append(token.lower())
    return out


HOSTILE = ["", "   ", "😀老闆欠我salary 3000元!!! call me 13812345678 🙏", "abc def 12.5% a-b_c#d",
           "x" * 500, "他ABC123工资", "αβγ测试", "\n\t工资\r\n", "欠" * 300, "١٢٣ عربي 工资"]


def test_fast_cut_equals_jieba(analyzer: Analyzer) -> None:
    tokenizer = analyzer._tokenizer
    texts = list(HOSTILE)
    for path in sorted((default_config_dir() / "training").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()
                  if line.strip()]
    for text in texts:
        assert tokenize.cut(tokenizer, text) == _jieba_reference(tokenizer, text), text


@pytest.mark.parametrize("text", ["拖欠工资", "宅基地被占"])
def test_dispute_words_stay_whole(analyzer: Analyzer, text: str) -> None:
    words = tokenize.cut(analyzer._tokenizer, text)
    assert any(w in ("拖欠工资", "宅基地") for w in words)


def test_bigrams_and_chars() -> None:
    assert tokenize.han_bigrams("欠薪，a工资") == ["欠薪", "工资"]
    assert tokenize.han_chars("欠薪😀") == {"欠", "薪"}
