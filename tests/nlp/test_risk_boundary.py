"""The line between red (someone must act within the hour) and the rest: the hidden-layer
reader, the floor under strong cues, plans and habits told at a distance, and emergencies
told by the state a person is in (issue #21 point 1). Texts written for these tests."""

from __future__ import annotations

import copy
import math

import pytest

from fengqiao.nlp.analyzer import Analyzer
from fengqiao.nlp.risk import CUE_FLOOR
from fengqiao.nlp.risk_hidden import HiddenModel
from fengqiao.nlp.risk_model import RiskModel


def _conjunction_docs() -> tuple[list[set[str]], list[bool]]:
    # Red only when a threat and a means are together: no sum of single weights fits it.
    docs: list[set[str]] = []
    labels: list[bool] = []
    for i in range(60):
        noise = {f"n{i % 7}", f"m{i % 5}"}
        docs += [{"threat", "means"} | noise, {"threat"} | noise, {"means"} | noise, noise]
        labels += [True, False, False, False]
    return docs, labels


def test_the_hidden_reader_learns_what_only_words_together_mean() -> None:
    docs, labels = _conjunction_docs()
    model = HiddenModel.train(docs, labels)
    together = model.score({"threat", "means", "n1", "m1"})
    assert together > model.score({"threat", "n1", "m1"})
    assert together > model.score({"means", "n1", "m1"})
    assert together > 0 > model.score({"threat", "n1", "m1"})


def test_the_hidden_reader_is_repeatable_and_survives_its_cache() -> None:
    docs, labels = _conjunction_docs()
    first, second = HiddenModel.train(docs, labels), HiddenModel.train(docs, labels)
    assert first.w1.tobytes() == second.w1.tobytes()
    back = HiddenModel.from_data(copy.deepcopy(first.to_data()))
    for doc in docs[:8]:
        assert back.probability(doc) == first.probability(doc)


def test_the_risk_probability_averages_both_readers(analyzer: Analyzer) -> None:
    model = analyzer._risk.model
    assert model is not None and model.hidden is not None
    text = "他拿着菜刀在我家门口骂，说今晚要砍死我"
    feats = analyzer._risk.model_features(text)
    alone = RiskModel(model.weights, model.bias, model.a, model.b)
    both = model.probability(feats)
    assert math.isclose(both, (alone.probability(feats) + model.hidden.probability(feats)) / 2)
    assert analyzer.analyze(text).risk_probability == pytest.approx(both, abs=1e-9)


def test_a_strong_cue_the_model_is_nearly_sure_of_goes_to_the_mediator(
        analyzer: Analyzer) -> None:
    """Below CUE_FLOOR a cue of danger to others is yellow with its reason kept; self-harm,
    a person held and a life in danger stay red whatever the model reads."""
    risk = copy.copy(analyzer._risk)
    real = analyzer._risk.model
    assert real is not None
    risk.model = RiskModel({}, -40.0, 1.0, 0.0)  # every text reads as harmless
    threat = risk.evaluate("他拿着刀站在院子里，说要砍死我", [])
    assert threat.probability is not None and threat.probability < CUE_FLOOR
    assert threat.colour == "yellow"
    assert any("持有凶器" in r or "扬言" in r for r in threat.reasons), threat.reasons
    for text in ["我真的不想活了，药都买好了", "讨债的把我老公关在他们仓库里，说拿钱来领人",
                 "我爸倒在地上一动不动，喊不答应"]:
        assert risk.evaluate(text, []).colour == "red", text


def test_a_resident_who_believes_the_threat_keeps_it_red(analyzer: Analyzer) -> None:
    """他干得出来, 真的不是开玩笑: the model's doubt and words of distance no longer take a
    strong cue's red away (and 不是开玩笑 is no joke)."""
    risk = copy.copy(analyzer._risk)
    risk.model = RiskModel({}, -40.0, 1.0, 0.0)  # every text reads as harmless
    doubted = risk.evaluate("他拿着刀站在院子里，说要砍死我", [])
    believed = risk.evaluate("他拿着刀站在院子里，说要砍死我，他干得出来", [])
    assert (doubted.colour, believed.colour) == ("yellow", "red")
    told = analyzer.analyze("楼下有人拿着菜刀在追我邻居，胳膊已经划伤了，真的不是开玩笑")
    assert told.risk == "red", told.risk_reasons


@pytest.mark.parametrize(
    "text",
    [
        "讨债的在我家院子里码了一堆稻草，说半夜来烧",  # the fuel is there
        "村口的水井里不知道谁倒了一包白粉末，还说要让全村人喝了都完蛋",  # a poisoned well
        "我阿妈而家喘唔到气，人就快唔得了，诊所话唔关佢哋事",  # Cantonese: now, cannot breathe
    ],
)
def test_danger_in_other_words_and_dialects_is_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk == "red", (text, result.risk_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "这家装修公司磨洋工磨得我想死，合同上写的工期早过了",  # a degree of feeling
        "经理开会说完不成任务的都去死吧，这算不算辱骂",  # death wished on others
        "给我外婆办完后事，舅舅就说老房子归他一个人了",  # a funeral arranged
        "我爷爷去世前写的遗书上说宅基地给我爸，这个算数吗",  # a dead man's will
        "两人在村口吵起来，后来被村干部拉开了，现在各回各家",  # pulled apart, not held
        "我男人说要是我敢离婚他就喝药，这话说了十几年了",  # leverage said for years
        "欠款的人说过两天带几个人来我店里闹",  # a plan for days on
        "工友们说要是年底还拿不到钱，就一起去老板家门口堵着",  # a crowd's plan, no time
    ],
)
def test_words_of_danger_at_a_distance_are_not_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk != "red", (text, result.risk_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "工友们现在就在老板家门口堵着，今天不给钱谁也别想走",  # a crowd there now
        "后面那栋楼起火了，三楼的老太太被困在屋里出不来",  # fire, someone trapped
        "我男人骑车摔到沟里，现在躺着一动不动，叫他也不应",  # a life in danger now
        "我儿子早上哭着说对不起，现在电话关机，有人看见他往水库那边去了",  # gone, by water
    ],
)
def test_danger_now_told_plainly_is_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk == "red", (text, result.risk_reasons)
