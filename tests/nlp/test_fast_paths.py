"""The speed paths give what the plain ones give (issue #21 point 5): remembered jieba blocks
and classifier rows, numpy sums, the --jsonl memo, the character gates and the places
found by two-character beginnings."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

from fengqiao.nlp import tokenize
from fengqiao.nlp.analyzer import Analyzer, _features, default_config_dir
from fengqiao.nlp.cli_classify import run_classify
from fengqiao.nlp.model import softmax, sum_rows


def _texts() -> list[str]:
    texts = ["", "同意", "😀老闆欠我salary 3000元!!! 13812345678", "欠" * 300,
             "他拿着菜刀，说今晚不给钱就砍人", "跳楼价甩卖，我家的鸭子被毒死了，气死我了"]
    config = default_config_dir()
    for folder in ("training", "risk_training"):
        for path in sorted((config / folder).glob("*.jsonl"))[:4]:
            lines = path.read_text("utf-8").splitlines()
            texts += [json.loads(line)["text"] for line in lines[:60] if line.strip()]
    # Joined, so that blocks and runs come back from the caches in other company.
    texts += ["，".join(texts[i : i + 3]) for i in range(0, len(texts) - 3, 7)]
    return texts


def test_rows_are_the_known_features(analyzer: Analyzer) -> None:
    model = analyzer._model
    for _ in range(2):  # the second pass reads the remembered rows
        for raw in _texts():
            text = analyzer._normalizer.normalize(raw)
            features, words = _features(text, analyzer._tokenizer)
            assert tokenize.cut(analyzer._tokenizer, text) == words
            expected = {model.row(f) for f in features} - {-1}
            assert analyzer._rows(text, words) == expected, raw
            probs = model.probabilities_of_rows(expected)
            known = model.known(features)
            if not known:
                assert probs is None
                continue
            plain = softmax(sum_rows(model.weights, known, [0.0] * len(model.classes)),
                            model.temperature_for(len(known)))
            assert probs is not None
            assert all(math.isclose(a, b, abs_tol=1e-12) for a, b in zip(probs, plain))


def test_scores_equal_the_python_sum_bit_for_bit(analyzer: Analyzer) -> None:
    model = analyzer._model
    for raw in _texts():
        features, _ = _features(analyzer._normalizer.normalize(raw), analyzer._tokenizer)
        assert model.scores(features) == sum_rows(model.weights, features,
                                                  [0.0] * len(model.classes))


def test_jsonl_repeats_answer_alike(nlp_cache: Path) -> None:
    lines = ['{"text": "老板拖欠工资三千块"}', "not json", '{"text": "楼上漏水"}',
             '{"text": "老板拖欠工资三千块"}', '{"text": "楼上漏水"}']
    out = io.StringIO()
    assert run_classify(None, True, io.StringIO("\n".join(lines) + "\n"), out, nlp_cache) == 0
    rows = out.getvalue().splitlines()
    assert len(rows) == 5
    assert rows[0] == rows[3] and rows[2] == rows[4] and rows[0] != rows[2]
    assert json.loads(rows[0])["type"] == "labor"
    assert "error" in json.loads(rows[1])
    assert re.search(r'"amounts_yuan":\[3000\]', rows[3])


def _every_match(pattern: re.Pattern[str], text: str):  # type: ignore[no-untyped-def]
    for start in range(len(text)):
        found = pattern.match(text, start)
        if found is not None:
            yield found


def test_character_gates_skip_only_what_cannot_match(analyzer: Analyzer) -> None:
    """Cues and phrase rules are skipped on texts missing characters they need, and dates on
    texts without any character a date needs: the same answers as trying everything."""
    from datetime import datetime

    from fengqiao.nlp import dates
    from fengqiao.nlp.risk import RED, _first_unnegated
    from fengqiao.nlp.risk_cues import _is_past, is_negated

    risk, cues = analyzer._risk, analyzer._risk.cues
    assert any(cue.gates for cue in cues.cues) and dates._GATE
    now = datetime(2026, 12, 7)
    for raw in _texts() + ["上周三", "2024/3/1", "他把我关在屋里三天了", "村民们把县政府大门堵了"]:
        text = analyzer._normalizer.normalize(raw)
        masked = cues.mask(text)
        kinds: list[str] = []
        for cue in cues.cues:
            if cue.kind not in kinds and any(
                    not is_negated(masked, m.start()) and not _is_past(masked, m.start(), m.end())
                    for m in _every_match(cue.pattern, masked)):
                kinds.append(cue.kind)
        assert [h.kind for h in cues.find(masked)] == kinds, text
        red: list[str] = []
        yellow: list[str] = []
        for rule in risk.rules:
            hits = [_first_unnegated(group, masked) for group in rule.groups]
            if all(hits):
                shown = "、".join(dict.fromkeys(h for h in hits if h))
                (red if rule.level == RED else yellow).append(f"{rule.reason}（“{shown}”）")
        assert risk._rules(masked) == (red, yellow), text
        gate, dates._GATE = dates._GATE, None
        try:
            plain = dates.find_periods(text, now)
        finally:
            dates._GATE = gate
        assert dates.find_periods(text, now) == plain, text


def test_two_character_beginnings() -> None:
    from fengqiao.nlp.prefixes import heads

    assert heads("杀鱼刀|水果刀") == {"杀鱼", "水果"}
    assert heads("a?b") == {"ab", "b"}
    assert heads("(?:a|bc)d") == {"ad", "bc"}
    assert heads("(?<![比])以前") == {"以前"}
    assert heads("被[^，]{0,3}(关|锁)") == {"被", "被关", "被锁"}  # 被 alone: anything may follow
    assert heads("ab{2,}") == {"ab"}
    assert heads("a*") is None and heads("[^a]b") is None and heads("(?i)ab") is None


def test_required_pairs() -> None:
    """Pairs of characters every match holds one of (gates for cues and phrase rules)."""
    from fengqiao.nlp.prefixes import required_pairs

    assert required_pairs("(?:带走|带上车|看住)") == (frozenset({"带走", "带上", "看住"}),)
    assert required_pairs("a(?:bc|de)f") == (frozenset({"ab", "ad"}), frozenset({"cf", "ef"}))
    assert required_pairs("不让(他|她)?(走|出来)") == (frozenset({"不让"}),)
    assert required_pairs("[^，]{0,2}拿刀") == (frozenset({"拿刀"}),)
    assert required_pairs("(不|没)拿") == (frozenset({"不拿", "没拿"}),)
    assert required_pairs("扣(了|住)[^，]{0,4}人") == (frozenset({"扣了", "扣住"}),)
    assert required_pairs("x(?:|b)c") == (frozenset({"xc", "bc"}), frozenset({"xc", "xb"}))
    # No pair known, one across a comma (a text's pairs are taken between commas), flags.
    assert required_pairs("a(?:b|c)?d") == (frozenset({"ab", "ac", "ad"}),)  # its beginnings
    assert required_pairs("a[^，]b") == () and required_pairs("a，b") == ()
    assert required_pairs("(?i)ab") == () and required_pairs("a(?:|b)") == ()


def test_places_found_hold_every_match(analyzer: Analyzer) -> None:
    """Every phrase group (rules, harmless senses, word classes) and every cue finds the places
    to try by their possible first two characters: each place a match starts is found."""
    cues = analyzer._risk.cues
    groups = [g for rule in analyzer._risk.rules for g in rule.groups]
    groups += [cues._harmless, *cues.class_words.values()]
    texts = [analyzer._normalizer.normalize(t) for t in _texts()]
    texts += ["二十多个人围在门口", "3个人把他关了两天", "拿着菜刀冲过来", "气死我了跳楼价"]
    for group in groups:
        assert group is not None
        for text in texts:
            assert ([m.span() for m in group.finditer(text)]
                    == [m.span() for m in group.pattern.finditer(text)]), (group.source[:40], text)
    for cue in cues.cues:
        for text in texts:
            assert ([m.span() for m in cue.matches(text)]
                    == [m.span() for m in _every_match(cue.pattern, text)]), (cue.kind, text)


def test_traditional_gate_misses_no_conversion(analyzer: Analyzer) -> None:
    """A text holding none of the watched characters is what opencc would give back: checked
    on every key and line of the t2s dictionaries, and on the common 什么/怎么 (not watched)."""
    import opencc

    normalizer = analyzer._normalizer
    assert normalizer._trad.isdisjoint("什么怎么这么") and not normalizer._trad.isdisjoint("麼")
    base = Path(opencc.__file__).parent / "dictionary"
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        for line in (base / name).read_text(encoding="utf-8").splitlines():
            key = line.partition("\t")[0]
            for text in (key, "怎么" + key + "什么", line.replace("\t", "").replace(" ", "")):
                if normalizer._trad.isdisjoint(text):
                    assert normalizer._converter.convert(text) == text, text


def test_amounts_gate_and_classify_without_facts(analyzer: Analyzer, nlp_cache: Path) -> None:
    """A text with no numeral holds no amount; `classify --jsonl` (which looks for no dates
    or personal numbers) prints what the full analysis prints."""
    from fengqiao.nlp import money

    texts = _texts()[:200] + ["欠我两千五", "工资一个月3000", "没有数字的一句话"]
    gate, money._ANY_NUMERAL = money._ANY_NUMERAL, re.compile("")
    try:
        plain = [money.find_amounts(analyzer._normalizer.normalize(t)) for t in texts]
    finally:
        money._ANY_NUMERAL = gate
    assert [money.find_amounts(analyzer._normalizer.normalize(t)) for t in texts] == plain
    assert any(plain)
    out = io.StringIO()
    lines = "\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts) + "\n"
    run_classify(None, True, io.StringIO(lines), out, nlp_cache)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        json.loads(json.dumps(analyzer.analyze(t).to_dict())) for t in texts]
