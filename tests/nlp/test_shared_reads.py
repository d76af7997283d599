"""Speed paths of the fifth pass (issue #21 point 5) give what the plain ones give: the
classifier's rows and jieba's cut read per block, the red-risk model's bigram weights per run,
its x: words per clause, regex code remembered in the data directory, the money digit gate."""

from __future__ import annotations

import math
import re
from pathlib import Path

from fengqiao.nlp import money, prefixes, tokenize
from fengqiao.nlp.analyzer import Analyzer, get_analyzer
from fengqiao.nlp.model import STOP_WORDS
from fengqiao.nlp.risk_model import features, read
from fengqiao.nlp.risk_words import GramCache, WordTagger, explain
from tests.nlp.test_fast_paths import _texts


def _more() -> list[str]:
    return [*_texts(), "他拿刀\u9fe0砍人", "工资3000元没给，电话13812345678，欠了3个月",
            "以前他打过我，现在好了。小说里的事", "请问怎么办？？他说要跳楼"]


def test_blocks_give_the_cut_and_the_rows_in_their_order(analyzer: Analyzer) -> None:
    """`_read` is `tokenize.cut`, `_rows` and the keyword candidates, and its set of rows
    iterates in the same order (numpy adds the same rows in the same order: the same sums
    bit for bit)."""
    for _ in range(2):  # the second pass reads remembered blocks
        for raw in _more():
            text = analyzer._normalizer.normalize(raw)
            words = tokenize.cut(analyzer._tokenizer, text)
            expected = analyzer._rows(text, words)
            got_words, rows, candidates = analyzer._read(text)
            assert got_words == words, raw
            assert candidates == [w for w in words if len(w) > 1 and w not in STOP_WORDS]
            assert list(rows) == list(expected), raw
            assert analyzer._model.probabilities_of_rows(rows) == (
                analyzer._model.probabilities_of_rows(expected)), raw


def test_risk_read_is_the_model_on_its_features(analyzer: Analyzer) -> None:
    """The model's probability from per-run bigram weights is its probability on the full
    feature set, and the word-class features are the same, remembered clauses or not."""
    risk = analyzer._risk
    model = risk.model
    assert model is not None and risk.cut is not None
    fresh = WordTagger(risk.cues.lexicon)  # nothing remembered yet
    grams = GramCache()
    for _ in range(2):
        for raw in _more():
            text = analyzer._normalizer.normalize(raw)
            masked = risk.cues.mask(text)
            plain = features(text, masked, risk.cut, WordTagger(risk.cues.lexicon))
            p, feats = read(model, text, masked, risk.cut, fresh, grams)
            assert feats == plain - grams.grams(masked), raw
            assert math.isclose(p, model.probability(plain), rel_tol=1e-12, abs_tol=1e-12), raw
            if model.hidden is not None:  # the hidden reader's sum: the same bits
                assert model.hidden.probability_of(feats, grams.runs(masked), grams) == (
                    model.hidden.probability(plain)), raw


def test_explained_ties_do_not_follow_the_hash_seed() -> None:
    weights = {"k:crowd+way": 1.0, "k:kin": 0.5, "k:blade": 1.0}
    assert explain(weights, ["k:kin", "k:crowd+way", "k:blade"]) == explain(
        weights, ["k:blade", "k:crowd+way", "k:kin"]) == ["刀具", "人群聚集", "道路、大门"]


def test_remembered_regex_code_is_what_re_compiles(analyzer: Analyzer) -> None:
    """Pattern objects compare equal only if their compiled code is the same."""
    patterns = [key[1] for key in prefixes._MEMO if key[0] == "sre"]
    assert len(patterns) > 50
    for pattern in patterns:
        assert prefixes.compiled(pattern) == re.compile(pattern), pattern[:60]
    assert prefixes.compiled("(?P<a>x)(y)").groupindex == {"a": 1}


def test_patterns_without_groups_match_alike(analyzer: Analyzer) -> None:
    """`prefixes.spans_only` (the risk screen's patterns: cues, phrase groups, frames, word
    classes) finds the matches `re.compile` finds, at the same places; a cue's pattern
    matches alike at every place (Cue.matches tries it where a match can begin)."""
    texts = [analyzer._normalizer.normalize(t) for t in _more()]
    masked = [analyzer._risk.cues.mask(t) for t in texts]
    patterns = [key[1] for key in prefixes._MEMO if key[0] == "spans"]
    assert len(patterns) > 1000
    for pattern in patterns:
        plain, fast = re.compile(pattern), prefixes.spans_only(pattern)
        assert fast.groups == 0 or "\\" in pattern, pattern[:60]
        for text in texts + masked:
            assert [m.span() for m in fast.finditer(text)] == [
                m.span() for m in plain.finditer(text)], pattern[:60]
    for cue in analyzer._risk.cues.cues:
        plain = re.compile(cue.pattern.pattern)
        for text in texts + masked:
            for at in range(len(text)):
                found, expected = cue.pattern.match(text, at), plain.match(text, at)
                assert (found and found.span()) == (expected and expected.span()), text
    assert prefixes.spans_only("(a)x\\1").groups == 1  # a group referred back to is kept


def test_no_digit_no_phone_number_to_blank(analyzer: Analyzer) -> None:
    texts = [analyzer._normalizer.normalize(t) for t in _more()]
    gate, money._DIGIT = money._DIGIT, re.compile("")
    try:
        plain = [money.find_amounts(t) for t in texts]
    finally:
        money._DIGIT = gate
    assert [money.find_amounts(t) for t in texts] == plain
    assert [3000] in plain


def test_normalizer_gates_are_its_character_sets(analyzer: Analyzer) -> None:
    from fengqiao.nlp.text import _FULLWIDTH, _WIDE

    normalizer = analyzer._normalizer
    assert all(normalizer._trad_any.search(ch) for ch in normalizer._trad if ord(ch) < 0x10000)
    astral = [ch for ch in normalizer._trad if ord(ch) >= 0x10000]
    assert astral and all(normalizer.to_simplified(ch) != ch for ch in astral)
    assert all(_WIDE.search(chr(code)) for code in _FULLWIDTH)
    for text in [*_more(), "＂１３８＂　￥３０００", "老闆說", "什么怎么"]:
        assert (normalizer._trad_any.search(text) is None) == normalizer._trad.isdisjoint(
            [ch for ch in text if ord(ch) < 0x10000])
        assert (_WIDE.search(text) is None) == (text.translate(_FULLWIDTH) == text)


def test_jsonl_lines_read_and_written_as_json_does(nlp_cache: Path) -> None:
    """The plain {"text": ...} line is read without the JSON parser and the output is made by
    a C encoder kept for the run: the same lines as json.loads and json.dumps give."""
    import io
    import json

    from fengqiao.nlp.cli_classify import _PLAIN_LINE, run_classify

    texts = ["老板拖欠工资三千块", 'a "quoted" \\ one', "tab\there", "", "é😀\u2028"]
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in texts]
    lines += [json.dumps({"text": t}) for t in texts] + ['{"text":"x"}', '{"text": "y", "n": 1}']
    for line in lines:
        plain = _PLAIN_LINE.fullmatch(line + "\n")
        assert plain is None or plain.group(1) == json.loads(line)["text"], line
    out = io.StringIO()
    run_classify(None, True, io.StringIO("\n".join(lines) + "\n"), out, nlp_cache)
    analyzer = get_analyzer(None, nlp_cache)
    expected = [json.dumps(analyzer.analyze(json.loads(line)["text"]).to_dict(),
                           ensure_ascii=False, separators=(",", ":")) for line in lines]
    assert out.getvalue().splitlines() == expected


def test_a_lone_chinese_digit_is_money_only_with_a_currency_word() -> None:
    """The short cut for 一, 两 … gives what the full reading gives."""
    from fengqiao.nlp.money import _CN_DIGITS

    samples = ["{}直没给钱", "借了{}块", "人民币{}", "{}个月工资", "还差{}元", "第{}次欠款", "A{}",
               "花了{}千", "{}万", "欠{}", "{}", "{}w", "赔{}"]
    texts = [s.format(d) for s in samples for d in _CN_DIGITS]
    gate, money._LONE_DIGITS = money._LONE_DIGITS, frozenset()
    try:
        plain = [money.find_amounts(t) for t in texts]
    finally:
        money._LONE_DIGITS = gate
    assert [money.find_amounts(t) for t in texts] == plain
    assert [1] in plain and [] in plain
