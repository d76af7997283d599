from __future__ import annotations

import json
from pathlib import Path

import pytest

from fengqiao.nlp.analyzer import default_config_dir
from fengqiao.nlp.risk import BLUE, RED, YELLOW, RiskAssessor
from fengqiao.nlp.text import Normalizer


@pytest.fixture(scope="module")
def assess() -> object:
    assessor = RiskAssessor.from_config(default_config_dir())
    normalizer = Normalizer.from_config(default_config_dir())

    def run(text: str, amounts: list[float] | None = None) -> tuple[str, list[str]]:
        return assessor.assess(normalizer.normalize(text), amounts or [])

    return run


@pytest.mark.parametrize(
    "text",
    [
        "他扬言要弄死我全家",
        "老公一喝酒就打我，身上都是伤",
        "被前夫掐着脖子按在地上",
        "邻居拿着菜刀站在我家门口骂",
        "再不给钱我就从楼上跳下去",
        "我真的不想活了，活着没意思",
        "我们三十多个工人的工资拖了半年，准备明天一起去找老板讨说法",
        "全村人商量好了下周去县政府门口集体上访",
        "村民们把厂门堵了不让车进出",
        "业主们准备拉横幅去售楼部维权",
        "家属把遗体抬到医院大厅不肯走",
        "他说要买汽油烧了他家的房子",
        "逼急了我就跟他同归于尽",
        "他找了一帮社会上的人来我家砸东西",
        "老闆說要找人收拾我",  # Traditional script
    ],
)
def test_red(assess: object, text: str) -> None:
    colour, reasons = assess(text)  # type: ignore[operator]
    assert colour == RED, (text, reasons)
    assert reasons and all(isinstance(r, str) and r for r in reasons)


@pytest.mark.parametrize(
    "text",
    [
        "我在外面打工，老板天天打电话催我回去上班",
        "笑死我了，这个物业真是什么都不管",
        "气死了，快递又丢了",
        "打官司太麻烦，想先调解",
        "孩子打疫苗以后发烧了",
        "他打了好多次电话我都没接",
        "我们不会去闹事，只想把钱要回来",
        "我没有想过自杀，就是想要个公道",
        "去年在工地打零工",
        "累死了，加班到十二点",
        "工厂的汽油味很重",  # smell of petrol is pollution, not a threat
        "大家都说这个店的东西不好",
        "小区里几十个业主的车位被占了",
    ],
)
def test_not_red_from_innocent_words(assess: object, text: str) -> None:
    colour, reasons = assess(text)  # type: ignore[operator]
    assert colour != RED, (text, reasons)


@pytest.mark.parametrize(
    "text",
    [
        "为这事找了物业好几次都没用",
        "家里还有八十多岁的老母亲要照顾",
        "停水停电好几天了，饭都做不了",
        "两家人为这事吵了好几次",
        "上个月我被他打了一拳",  # a past fight: yellow, not red
        "他家天天来闹，还报了警",
    ],
)
def test_yellow(assess: object, text: str) -> None:
    colour, reasons = assess(text)  # type: ignore[operator]
    assert colour == YELLOW, (text, reasons)
    assert reasons


def test_large_sum_is_yellow(assess: object) -> None:
    colour, reasons = assess("他欠我工程款", [800_000])  # type: ignore[operator]
    assert colour == YELLOW
    assert any("80万元" in r for r in reasons)


def test_ordinary_is_blue(assess: object) -> None:
    assert assess("楼上的空调滴水到我家窗台上") == (BLUE, [])  # type: ignore[operator]
    assert assess("") == (BLUE, [])  # type: ignore[operator]
    assert assess("😀🙏🏻") == (BLUE, [])  # type: ignore[operator]


def test_reasons_quote_the_words(assess: object) -> None:
    _, reasons = assess("他扬言要弄死我")  # type: ignore[operator]
    assert any("弄死" in r for r in reasons)


def test_negation_only_within_the_clause(assess: object) -> None:
    colour, _ = assess("我不怕他，他说要弄死我")  # type: ignore[operator]
    assert colour == RED


def test_rules_load_from_any_config_dir(tmp_path: Path) -> None:
    (tmp_path / "risk.toml").write_text(
        'large_sum_yuan = 10\n[[rule]]\nlevel = "red"\nreason = "测试"\npatterns = ["坏事"]\n',
        encoding="utf-8",
    )
    assessor = RiskAssessor.from_config(tmp_path)
    assert assessor.assess("要做坏事", []) == (RED, ["测试（“坏事”）"])
    assert assessor.assess("正常", [20])[0] == YELLOW


def test_bad_level_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "risk.toml").write_text(
        '[[rule]]\nlevel = "purple"\nreason = "x"\npatterns = ["x"]\n', encoding="utf-8")
    with pytest.raises(ValueError):
        RiskAssessor.from_config(tmp_path)


def test_long_text_is_fast_enough_to_finish(assess: object) -> None:
    text = "邻居吵闹。" * 2000 + "他扬言要弄死我"
    assert assess(text)[0] == RED  # type: ignore[operator]


@pytest.mark.parametrize(
    "text",
    [
        "工资不结清他就站到脚手架上往下跳",  # a condition is not a negation
        "老板不给说法我老公就要喝农药",
        "他把安眠药都藏好了，说活够了",
        "我爸爬上了工地的塔吊不肯下来",
        "村民说明天要开拖拉机把镇政府的大门堵了",
        "全组的人都很气愤，商量着这周末一起到乡政府去要个说法",
    ],
)
def test_red_conditions_preparations_and_word_order(assess: object, text: str) -> None:
    assert assess(text)[0] == RED  # type: ignore[operator]


def test_real_negation_still_counts(assess: object) -> None:
    assert assess("我们不会去堵路，只想要回钱")[0] != RED  # type: ignore[operator]


class _EveryRule(RiskAssessor):
    """The same rules, each asked in turn: what the character index must agree with."""

    def _candidates(self, present: frozenset[str]) -> list[int]:
        return list(range(len(self.rules)))


def test_the_character_index_never_skips_a_rule_that_matches() -> None:
    assessor = RiskAssessor.from_config(default_config_dir())
    everyone = _EveryRule(assessor.rules, assessor.large_sum_yuan, assessor.cues)
    normalizer = Normalizer.from_config(default_config_dir())
    texts = ["1", "张三", "13912345678", "不清楚", "同意", "提交", "三十多个人"]
    for path in sorted((default_config_dir() / "training").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()]
    coloured = 0
    for text in map(normalizer.normalize, texts):
        expected = everyone.assess(text, [])
        assert assessor.assess(text, []) == expected, text
        coloured += expected[0] != BLUE
    assert coloured > 50  # the texts exercise the rules, not only the blue path


def test_phrases_find_what_their_alternation_finds() -> None:
    # Phrases tries only the patterns that can start with the character at hand: the
    # matches and their places must be those of re.finditer over the alternation.
    assessor = RiskAssessor.from_config(default_config_dir())
    texts = ["他说要弄死我全家，还要砍死他", "不清楚", "13912345678", "三十多个工人"]
    for path in sorted((default_config_dir() / "training").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()]
    found = 0
    for rule in assessor.rules:
        for phrases in rule.groups:
            for text in texts:
                ours = [(m.span(), m.group()) for m in phrases.finditer(text)]
                assert ours == [(m.span(), m.group()) for m in phrases.pattern.finditer(text)]
                found += len(ours)
    assert found > 200
