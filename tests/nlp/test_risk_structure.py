"""The structural cues and the learned model together (issue #21 point 1)."""

from __future__ import annotations

import re

import pytest

from fengqiao.nlp.analyzer import Analyzer, default_config_dir
from fengqiao.nlp.risk_cues import CueSet

_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "text",
    [
        "我爸提着一壶汽油和打火机进了村委会办公室，说不给宅基地证就点了",
        "他开着铲车往我家大门上撞，我奶奶还在屋里没出来",
        "讨债的把我老公锁在他们的车里拉走了，说拿钱来领人",
        "俺男人又在打俺 拿皮带抽 娃吓得直哭",  # run-on, dialect
        "几十个工人现在把厂门堵了不让货车出去",
        "一伙人冲进了卫生院的急诊室在打医生",
        "他扛着一把镐头往村长家走，说今天要出人命",  # a weapon the phrase list never had
    ],
)
def test_danger_in_words_never_listed_is_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk == "red", (text, result.risk_reasons)
    assert result.risk_reasons and all(_HAN.search(r) for r in result.risk_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "新买的水果刀用两天就断了",
        "超市的鸡蛋跳楼价",
        "我家塘里的鸭子都毒死了",
        "买到了假农药，庄稼一点没治住",
        "气死我了，快递又丢了",
        "打火机坏了，商家不给换",
        "他倒车时把我的电动车撞坏了",
        "我不会做傻事的，就想把工钱要回来",
    ],
)
def test_the_same_words_in_harmless_senses_are_not_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk != "red", (text, result.risk_reasons)


def test_self_harm_is_red_and_flagged(analyzer: Analyzer) -> None:
    result = analyzer.analyze("网贷还不上了，我真的活着没意思，遗书都写好了")
    assert result.risk == "red" and result.self_harm
    other = analyzer.analyze("他拿着菜刀在我家门口说要砍死我")
    assert other.risk == "red" and not other.self_harm


def test_the_model_gives_a_probability(analyzer: Analyzer) -> None:
    calm_text = "物业费涨了，想问问能不能不交"
    # The learned model reads every text long enough to weigh (not only where a cue fired).
    danger = analyzer.analyze("他拿着刀说今晚就来杀我全家")
    calm = analyzer.analyze(calm_text)
    assert danger.risk_probability is not None and calm.risk_probability is not None
    assert danger.risk_probability > 0.5 > calm.risk_probability
    assert analyzer.analyze("同意").risk_probability is None  # a short answer: nothing to weigh


def test_the_model_alone_catches_danger_no_cue_names(analyzer: Analyzer) -> None:
    """No structural cue fires on these, the learned model reads them as red, with the word
    classes that weighed most named in Chinese."""
    cues = analyzer._risk.cues
    text = "我妈说她这辈子就这样吧，把这个月的药都收起来了"
    assert not [h for h in cues.find(cues.mask(text)) if h.strong]
    result = analyzer.analyze(text)
    assert result.risk == "red" and result.self_harm
    assert any("模型判断" in r and "攒药" in r for r in result.risk_reasons), result.risk_reasons


def test_the_model_reads_word_classes_in_clauses(analyzer: Analyzer) -> None:
    def feats(raw: str) -> set[str]:
        return analyzer._risk.model_features(analyzer._normalizer.normalize(raw))

    held = feats("他拿着菜刀在门口，说要砍死我")
    assert {"k:blade+hold", "s:blade+harm"} <= held
    assert "k:blade" not in feats("我没拿菜刀") and "n:blade" in feats("我没拿菜刀")
    assert "p:beat" in feats("我昨天被他打了")
    harmless = feats("超市的鸡蛋跳楼价")
    assert "x:harmless" in harmless and "k:selfharm_act" not in harmless


def test_an_operator_adds_a_local_word(tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = (default_config_dir() / "risk_cues.toml").read_text(encoding="utf-8")
    text = "他拿着一把弯弯刀说今晚就来砍人"
    assert CueSet.from_config(default_config_dir()).find(text)  # 刀 inside the word
    local = "他提着一根杀威棒冲进了我家"
    assert not any(h.kind == "weapon" for h in CueSet.from_config(default_config_dir()).find(local))
    (tmp_path / "risk_cues.toml").write_text(
        source.replace('blunt = ["', 'blunt = ["杀威棒", "', 1), encoding="utf-8")
    found = CueSet.from_config(tmp_path).find(local)
    assert any(h.kind == "weapon" and "杀威棒" in h.text for h in found)


def test_negated_cue_does_not_count() -> None:
    cues = CueSet.from_config(default_config_dir())
    assert not [h for h in cues.find("我没有拿刀去找他，只是去讲理") if h.strong]
    assert [h for h in cues.find("再不给钱我就从楼上跳下去") if h.strong]  # a condition


@pytest.mark.parametrize(
    "text",
    [
        "他把一桶柴油拉到了镇政府门口",  # means carried to an office
        "我把耗子药攒了好几包，藏在柜子里",  # stockpiled
        "我刚拿刀片割了手腕",  # self-injury done
        "他们把我爸关在仓库里不给饭吃",  # detention with starvation
        "四五十户人家去国道上躺着",  # crowd lying on a road
        "他说要开收割机连人带车一起碾了",  # 连人
        "他砸了我家玻璃，说下回砸的就是你",  # 下回……就是你
        "他舅拿扫把往我头上砸",  # a blow aimed at the head, any tool
        "他不把我弄死不罢休，已经找上门了",  # 不……不罢休 is a vow
        "那个司机开车把拦车的村民撞倒了还往前开",  # 开车 with intent
    ],
)
def test_widened_shapes_are_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk == "red", (text, result.risk_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "电视剧里男的拿斧头砍人，孩子看了做噩梦，想投诉电视台",  # fiction
        "我老公以前喝酒就打人，现在戒了，想分割财产",  # it stopped
        "去年我想过轻生，现在好多了，想问抚养费",  # past
        "送气工把煤气罐放我家门口就走了",  # a delivery, not a threat
        "他开车不留神撞死了我家的鸡",  # an accident to an animal
        "对方开车不看路，把我家孩子撞了，现在还要我们负责任",  # 开车 without intent
        "我想问一下一了百了的那种离婚协议怎么签",  # 一了百了 not as an intent
    ],
)
def test_past_fiction_and_accidents_are_not_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk != "red", (text, result.risk_reasons)


def test_ongoing_since_the_past_still_counts() -> None:
    cues = CueSet.from_config(default_config_dir())
    assert [h for h in cues.find("我老公从去年开始一直打我，现在又在打") if h.strong]


def test_mask_and_class_gates_change_nothing_but_speed() -> None:
    # The harmless senses are found by a character-gated alternation and cues are skipped
    # when a word class they need is absent: both must give what the plain regexes give.
    cues = CueSet.from_config(default_config_dir())
    harmless = cues._harmless
    assert harmless is not None
    texts = ["超市鸡蛋跳楼价", "他拿着刀在门口转悠", "三十多个工人把厂门堵了", "我不想活了"]
    for path in sorted((default_config_dir() / "training").glob("*.jsonl")):
        texts += [line for line in path.read_text("utf-8").splitlines()[:200]]
    gated = [c for c in cues.cues if c.needs]
    assert len(gated) > 5
    fired = 0
    for text in texts:
        plain = harmless.pattern.sub(lambda m: "□" * len(m.group(0)), text)
        assert cues.mask(text) == plain == cues.mask(text, cues.gates.of_text(text))
        for cue in gated:
            found = next(cue.matches(plain), None) is not None
            fired += found
            if found:
                missing = ~cues.gates.of_text(plain)
                assert all(cues._has(n, plain, missing, {}) for n in cue.needs)
    assert fired > 0
