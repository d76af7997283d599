"""Calibrated type confidence (issue #21 point 2): a temperature fitted on a held-out split."""

from __future__ import annotations

from fengqiao.nlp.analyzer import Analyzer
from fengqiao.nlp.model import Classifier


def test_the_model_carries_a_fitted_temperature(analyzer: Analyzer) -> None:
    model: Classifier = analyzer._model
    assert 0.05 <= model.temperature <= 2.0
    data = model.to_data()
    assert Classifier.from_data(data).temperature == model.temperature


def test_a_vague_question_is_low_confidence_and_a_clear_one_is_not(analyzer: Analyzer) -> None:
    vague = analyzer.analyze("请问这种情况怎么办？")
    assert vague.low_confidence and len(vague.top) == 3
    clear = analyzer.analyze("老板拖欠我三个月工资不发，请问去哪里申请劳动仲裁？")
    assert clear.type == "labor" and not clear.low_confidence
    assert vague.confidence < clear.confidence <= 1


def test_consultation_questions_are_classified(analyzer: Analyzer) -> None:
    cases = {
        "彩礼给了十几万，没过多久就要离婚，彩礼能退吗": "marriage_family",
        "楼上漏水把我家吊顶泡坏了，他不肯赔": "neighbor",
        "信用卡逾期了，催收天天给我家里人打电话": "finance",
    }
    for text, code in cases.items():
        assert code in [c for c, _ in analyzer.analyze(text).top], text


def test_the_temperature_falls_with_length_and_round_trips(analyzer: Analyzer) -> None:
    model: Classifier = analyzer._model
    assert 0.0 <= model.length_power <= 1.0
    again = Classifier.from_data(model.to_data())
    assert again.length_power == model.length_power
    # Long stories are cooled down; a few words are not surer for being few.
    assert model.temperature_for(5) == model.temperature_for(60) == model.temperature
    if model.length_power:
        assert model.temperature_for(400) < model.temperature_for(60)


def test_a_question_with_nothing_in_it_is_low_confidence(analyzer: Analyzer) -> None:
    for text in ("我想问问", "请问这种情况怎么办？", "律师您好，有个事想请教一下"):
        assert analyzer.analyze(text).low_confidence, text


def test_question_boilerplate_is_not_a_feature(analyzer: Analyzer) -> None:
    model: Classifier = analyzer._model
    for feature in ("w:请问", "b:请问", "b:律师", "b:求助", "w:怎么办", "b:么办"):
        assert model.row(feature) == -1, feature
    plain = analyzer.analyze("老公把家里的存款都转走了，我想离婚")
    polite = analyzer.analyze("律师您好，求助：老公把家里的存款都转走了，我想离婚，请问怎么办")
    assert plain.type == polite.type == "marriage_family"
