"""The speed paths give what the plain ones give (issue #21 point 5): remembered jieba blocks
and classifier rows, numpy sums and the --jsonl memo."""

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
                            model.temperature)
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
