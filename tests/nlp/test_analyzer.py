from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fengqiao.nlp import Analysis, Analyzer, get_analyzer
from fengqiao.nlp.analyzer import default_config_dir, model_key
from fengqiao.nlp.dates import Period

CLASSIFY_KEYS = {"type", "type_name", "confidence", "top", "risk", "risk_reasons", "keywords",
                 "amounts_yuan", "department"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("老板拖欠我们三个月工资，电话也不接", "labor"),
        ("在工地上干活摔断了腿，包工头不管", "work_injury"),
        ("前夫两年没给孩子抚养费了", "marriage_family"),
        ("楼上天天半夜跺脚，吵得睡不着", "neighbor"),
        ("物业把电梯停了还要涨物业费", "property_mgmt"),
        ("骑电动车被小轿车撞了，对方不赔", "traffic"),
        ("医院手术把我妈的神经弄伤了", "medical"),
        ("网上买的鞋子是假货，商家不给退", "consumer"),
        ("朋友借了我五万块钱一直不还", "debt"),
        ("房东不退押金", "real_estate"),
        ("邻居建房占了我家宅基地", "land"),
        ("拆迁补偿款太低了", "demolition"),
        ("装修公司偷工减料，墙面全裂了", "construction"),
        ("被邻居家的狗咬了，要打狂犬疫苗", "personal_injury"),
        ("孩子在学校被同学欺负", "campus"),
        ("村里的分红没有我家的份", "collective"),
        ("化工厂往河里排污水", "environment"),
        ("网贷催收天天骚扰我的家人", "finance"),
    ],
)
def test_clear_cases(analyzer: Analyzer, text: str, code: str) -> None:
    result = analyzer.analyze(text)
    assert result.type == code, result.top
    assert code in [c for c, _ in result.top]


def test_traditional_equals_simplified(analyzer: Analyzer) -> None:
    pairs = [
        ("老闆欠我兩個月工資一萬二，電話也不接", "老板欠我两个月工资一万二，电话也不接"),
        ("樓上鄰居每天晚上很吵，說了也不聽", "楼上邻居每天晚上很吵，说了也不听"),
        ("他揚言要弄死我", "他扬言要弄死我"),
    ]
    for traditional, simplified in pairs:
        a, b = analyzer.analyze(traditional), analyzer.analyze(simplified)
        assert a.to_dict() == b.to_dict()


def test_to_dict_has_exactly_the_design_keys(analyzer: Analyzer) -> None:
    data = analyzer.analyze("欠我3000块钱不还").to_dict()
    assert set(data) == CLASSIFY_KEYS
    assert data["amounts_yuan"] == [3000]
    assert all(isinstance(pair, list) and len(pair) == 2 for pair in data["top"])
    json.dumps(data, ensure_ascii=False)  # must be JSON-serialisable


def test_top_three_scores_are_sorted_probabilities(analyzer: Analyzer) -> None:
    result = analyzer.analyze("邻居的狗咬了我家孩子")
    scores = [s for _, s in result.top]
    assert len(result.top) == 3
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert result.confidence == scores[0]


def test_keywords_explain_the_type(analyzer: Analyzer) -> None:
    result = analyzer.analyze("老板拖欠工资三个月，还不给交社保")
    assert result.keywords
    assert any(k in ("拖欠工资", "工资", "社保", "老板") for k in result.keywords)


def test_low_confidence_offers_other(analyzer: Analyzer) -> None:
    result = analyzer.analyze("这个事情怎么办")
    assert result.low_confidence
    assert "other" in [c for c, _ in result.top]


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "？？？", "12345"])
def test_empty_and_meaningless(analyzer: Analyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert isinstance(result, Analysis)
    assert result.low_confidence
    assert result.risk == "blue"
    assert result.amounts_yuan == [] or text == "12345"


def test_ten_thousand_characters(analyzer: Analyzer) -> None:
    text = ("楼上邻居天天晚上吵闹，" * 1000)[:10_000]
    result = analyzer.analyze(text)
    assert result.type == "neighbor"


def test_mixed_scripts_and_emoji(analyzer: Analyzer) -> None:
    result = analyzer.analyze("😡老闆欠我salary 3000元!!! call me 13812345678 🙏")
    assert result.type == "labor"
    assert result.amounts_yuan == [3000]
    assert result.phones == ["13812345678"]


def test_extracts_everything(analyzer: Analyzer) -> None:
    text = ("前天他借了我1.2万元，说上个月就还，电话13812345678，"
            "身份证110101199003074514，卡号6222021234567890128")
    result = analyzer.analyze(text, now=datetime(2024, 3, 15))
    assert result.amounts_yuan == [12000]
    # 上个月 is a month, not its first day
    assert result.dates == [Period(date(2024, 3, 13), "day"), Period(date(2024, 2, 1), "month")]
    assert result.phones == ["13812345678"]
    assert result.id_numbers == ["110101199003074514"]
    assert result.bank_cards == ["6222021234567890128"]


def test_department_and_name_from_taxonomy(analyzer: Analyzer) -> None:
    result = analyzer.analyze("化工厂往河里排污水")
    kind = analyzer.type_by_code(result.type)
    assert result.type_name == kind.name
    assert result.department == kind.department


def test_taxonomy_exposed_for_the_dialog(analyzer: Analyzer) -> None:
    codes = [t.code for t in analyzer.taxonomy]
    assert len(codes) == 20 and codes[-1] == "other"
    for kind in analyzer.taxonomy:
        keys = [q.key for q in kind.questions]
        assert {"other_party_name", "other_party_phone", "when", "wants"} <= set(keys)
        # "where" is asked once: by the shared question or by the type's own
        own_where = kind.code in ("collective", "property_mgmt")
        assert ("where" in keys) != own_where, kind.code


def test_cache_is_reused_and_keyed_by_config(nlp_cache: Path, analyzer: Analyzer,
                                             tmp_path: Path) -> None:
    models = list((nlp_cache / "nlp").glob("model-*.marshal"))
    assert [m.name for m in models] == [f"model-{model_key(default_config_dir())}.marshal"]
    # A changed training file gives another key, so a stale model is never used.
    config = tmp_path / "config"
    config.mkdir()
    for name in ("taxonomy.toml", "normalize.toml", "risk.toml", "jieba_userdict.txt"):
        (config / name).write_bytes((default_config_dir() / name).read_bytes())
    (config / "training").mkdir()
    (config / "training" / "x.jsonl").write_text(
        '{"text": "老板欠工资", "type": "labor"}\n', encoding="utf-8")
    assert model_key(config) != model_key(default_config_dir())


def test_small_config_trains_and_loads_from_cache(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "training").mkdir(parents=True)
    for name in ("normalize.toml", "risk.toml", "jieba_userdict.txt"):
        (config / name).write_bytes((default_config_dir() / name).read_bytes())
    (config / "taxonomy.toml").write_text(
        '[[type]]\ncode = "labor"\nname = "劳动争议"\ndepartment = "劳动仲裁"\n'
        'keywords = ["工资"]\n'
        '[[type]]\ncode = "other"\nname = "其他纠纷"\ndepartment = "窗口"\n',
        encoding="utf-8")
    (config / "training" / "a.jsonl").write_text(
        '{"text": "老板欠我工资", "type": "labor"}\n{"text": "有人造谣", "type": "other"}\n',
        encoding="utf-8")
    data = tmp_path / "data"
    first = Analyzer.load(config, data)
    second = Analyzer.load(config, data)  # from the cache this time
    assert first.analyze("工资没发").type == second.analyze("工资没发").type == "labor"
    assert len(list((data / "nlp").glob("model-*.marshal"))) == 1


def test_training_type_must_exist(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "training").mkdir(parents=True)
    (config / "taxonomy.toml").write_text(
        '[[type]]\ncode = "other"\nname = "其他"\n', encoding="utf-8")
    (config / "risk.toml").write_bytes((default_config_dir() / "risk.toml").read_bytes())
    (config / "training" / "a.jsonl").write_text(
        '{"text": "x", "type": "nope"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="nope"):
        Analyzer.load(config, tmp_path / "data")


def test_get_analyzer_is_cached(nlp_cache: Path) -> None:
    assert get_analyzer(None, nlp_cache) is get_analyzer(default_config_dir(), nlp_cache)


@pytest.mark.parametrize(
    "answer",
    [
        "他说再不还钱就要弄死我全家",
        "大概三万五千元，去年十月借的",
        "2025年3月8日晚上",
        "我们二十多户准备明天去县政府门口拉横幅",
        "不清楚",
    ],
)
def test_screen_of_an_answer_agrees_with_the_full_analysis(
    analyzer: Analyzer, answer: str
) -> None:
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    full, screen = analyzer.analyze(answer, now), analyzer.screen(answer, now)
    assert (screen.risk, screen.risk_reasons) == (full.risk, full.risk_reasons)
    assert screen.amounts_yuan == full.amounts_yuan
    assert screen.dates == full.dates
