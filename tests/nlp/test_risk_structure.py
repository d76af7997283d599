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


@pytest.mark.parametrize(
    "text",
    [
        "我打了12345投诉，又打110，都说不归他们管",  # 打 + a number is a call, not a blow
        "信用卡分期被多扣了好几个月的钱，银行不给退",  # money deducted, not a person held
    ],
)
def test_calls_paint_and_deductions_are_not_violence(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk != "red", (text, result.risk_reasons)
    wrong = ("持续的暴力", "扣押", "威胁人身")
    assert not any(w in r for w in wrong for r in result.risk_reasons), (text, result.risk_reasons)


def test_paint_on_a_door_is_read_as_harassment_not_a_threat_to_life(analyzer: Analyzer) -> None:
    # Frightening, but no danger to anyone's body: the rule says so; the model still weighs
    # the whole text on its own.
    reasons = analyzer.analyze("借网贷的催收在我爸妈门口喷漆写欠债还钱").risk_reasons
    assert any("软暴力" in r for r in reasons), reasons
    assert not any("威胁人身" in r for r in reasons), reasons


@pytest.mark.parametrize(
    "text",
    [
        "俺跟媳妇吵架，俺说你再闹俺就去死，就是气话，她现在回娘家了，想请人去说和",
        "他说老板再不给钱就去跳楼，大家都笑他，他自己也笑，工钱拖了五个月了",
        "邻居那天吵架说要拿刀捅了我，这都过去一个礼拜了，也没见他咋样，想让村里调一下",
    ],
)
def test_danger_the_resident_distances_themself_from_goes_to_the_mediator(
        analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk == "yellow", (text, result.risk_reasons)
    assert any("并非当真" in r for r in result.risk_reasons)


def test_distance_does_not_hide_a_danger_set_for_tonight(analyzer: Analyzer) -> None:
    # 上次是气话, but tonight he has the knife: the set time outside the distance words wins.
    result = analyzer.analyze("上次他说要砍我，大家说是气话，今晚他拿着菜刀在我家门口转")
    assert result.risk == "red", result.risk_reasons


@pytest.mark.parametrize(
    "text",
    [
        "老人在卫生院打完针就倒了，现在叫不醒，医生说不关他们的事",
        "电梯卡在九楼，里面关着我爸，他有心脏病，已经喘不过气了，物业说师傅一个小时后到",
        "工友掉进沉淀池里，下去救的人也没上来，上面的人不知道怎么办",
    ],
)
def test_a_life_in_danger_now_is_red_whoever_caused_it(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk == "red", (text, result.risk_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "拆迁安置房说好前年交房，到现在还在打地基，过渡费也停了",
        "打了一针瘦脸针，一边脸现在动不了，工作室说过几个月就好",
        "房东把我的押金当人质扣着，退租一个月了就是不退",
    ],
)
def test_the_same_words_of_emergency_in_everyday_senses_are_not_red(
        analyzer: Analyzer, text: str) -> None:
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


def test_context_classes_count_only_next_to_a_danger_class(analyzer: Analyzer) -> None:
    """People, going, holding and saying are in every complaint: alone or with each other
    they give the model nothing (before, k:go+person and k:hold fired on 提着水去); next to a
    blade they do. A danger class in a clause told of the past is history (h:)."""
    def feats(raw: str) -> set[str]:
        return analyzer._risk.model_features(analyzer._normalizer.normalize(raw))

    ordinary = feats("我爸提着两桶水去村委会，说要问问低保的事")
    assert not [f for f in ordinary if f[:2] in ("k:", "s:", "t:", "p:")], ordinary
    assert "k:blade+hold" in feats("我爸提着菜刀去村委会")
    past = feats("去年有个亲戚拿刀吓唬过我爸")
    assert "h:blade" in past and "k:blade" not in past


def test_reasons_with_equal_weights_come_in_one_order() -> None:
    """The word classes named in a model reason do not follow the set's hash order."""
    from fengqiao.nlp.risk_words import explain

    weights = {"k:poison": 1.0, "k:blade": 1.0, "k:fire": 1.0, "k:crowd": 2.0}
    orders = [["k:poison", "k:blade", "k:fire", "k:crowd"],
              ["k:fire", "k:crowd", "k:blade", "k:poison"]]
    assert [explain(weights, o) for o in orders] == [["人群聚集", "刀具", "汽油、煤气等易燃物"]] * 2


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
        # Jokes, insults and similes; a wish disowned at once; suicide as a past event or an
        # insurance question; the attacker already taken away; a mended roof; a hit-and-run.
        "他们打牌输了开玩笑说要弄死我，结果真不给工钱了",
        "师傅骂徒弟笨得砍死你算了，徒弟干了三天就走了，工钱没结",
        "食堂的菜咸得像毒药似的，一个月还收六百",
        "恨不得一刀捅了这个骗子，可我不能干傻事，只想把钱要回来",
        "我表哥前年喝药走了，他媳妇现在要把房子卖掉，我们能拦吗",
        "保险公司非说我爸是跳河死的，不给理赔",
        "打我的那个人已经被警察抓走了，想问赔偿能要多少",
        "爬到屋顶上补漏，隔壁说我踩坏了他家的瓦",
        "我妈被一辆电动车撞了，骑车的人跑了，监控也没拍到",
        "我用菜刀剁了十年排骨，老板说我剁坏了要扣钱",  # a knife used on food
        "我是在砂石场开挖机的，老板说挖机的柴油钱要我出",  # machinery as one's job
        "他在电话里说要烧了我家，其实就是吓唬人，想让我们搬走",  # disowned at once
        "他喝多了说要砍死我，后来第二天来道了歉，可钱还是没还",  # withdrawn
        "我的行李被房东锁在储物间里了，不给钥匙",  # things locked away
        "我奶奶喝药喝了半年，血糖还是高",  # medicine for an illness
        "孩子被关在教室门外罚站了一节课",  # shut out, not shut in
        "两家为了宅基地吵起来，他家儿子抄起铁锹要打人，被邻居劝住了",  # stopped
        "他们把我家的门踹坏了，那是上个月的事，现在只想让他们赔门",  # told as last month's
        "我奶奶前年喝农药走的，保险公司说自杀不赔，这合理吗",  # an insurance question
        "他说再敢来要钱就打断我的腿，我没理他，钱到现在也没还",  # a bare threat: for the mediator
        "他砸了我家玻璃，说下回砸的就是你",  # a threat with no means or time: the mediator's
        "工友们说老板再不给钱就一起去劳动局反映",  # a plan with no time: for the mediator
        "老板跑了，工地上十几个人都很火",  # anger said as fire
        "我开车撞了人，交警判我主责，现在对方要三万",  # liability already set
    ],
)
def test_past_fiction_and_accidents_are_not_red(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk != "red", (text, result.risk_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "他又打电话来了，说今晚就上门要你命",  # 要你命 with a time, beside a call
        "他故意开着三轮车把我撞倒了，现在还在门口转",  # on purpose: not an accident
        "我弟把存折寄给了我，说以后用不上了，电话再也打不通",  # a farewell, not a bad line
        "工友三十几个现在坐在高速路口，车都过不去",  # a crowd counted after its noun
        "他拿着菜刀说再来就打断我的腿，现在还在门口",  # the same threat beside a weapon
        "全村明天上午九点去县政府门口讨说法，车都租好了",  # a plan set for a time
        "五十多个摊贩把市场管理处的卷帘门撬开了，人都在里面",  # a crowd breaking in
    ],
)
def test_threats_and_farewells_beside_those_frames_stay_red(analyzer: Analyzer,
                                                           text: str) -> None:
    result = analyzer.analyze(text)
    assert result.risk == "red", (text, result.risk_reasons)


def test_a_frame_blanks_what_was_said_before_it_within_the_sentence() -> None:
    cues = CueSet.from_config(default_config_dir())
    masked = cues.mask("他要钱。他说要烧了我家，其实就是吓唬人，想让我们搬走")
    assert masked.startswith("他要钱。") and "烧" not in masked and masked.endswith("想让我们搬走")
    # The frame's own words start with known characters: the harmless alternation keeps its
    # character gate (a leading [^。！？]{0,24} took it off and cost a third of the run time).
    assert cues._harmless is not None and cues._harmless.first_chars is not None


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
        if cues.frames is not None:
            plain = cues.frames.mask(plain, "□")
        assert cues.mask(text) == plain == cues.mask(text, cues.gates.of_text(text))
        for cue in gated:
            found = next(cue.matches(plain), None) is not None
            fired += found
            if found:
                bits = cues.gates.of_text(plain)
                assert all(cues._has(n, plain, bits, {}) for n in cue.needs)
    assert fired > 0
