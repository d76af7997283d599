from __future__ import annotations

from pathlib import Path

import pytest

from fengqiao.nlp.analyzer import default_config_dir
from fengqiao.nlp.taxonomy import load_taxonomy
from fengqiao.nlp.text import Normalizer

REQUIRED = ["labor", "work_injury", "marriage_family", "neighbor", "property_mgmt", "traffic",
            "medical", "consumer", "debt", "contract", "real_estate", "land", "demolition",
            "construction", "personal_injury", "campus", "collective", "environment", "finance",
            "other"]


def test_taxonomy_has_every_required_type() -> None:
    types = load_taxonomy(default_config_dir() / "taxonomy.toml")
    assert [t.code for t in types] == REQUIRED
    for t in types:
        assert t.name and t.description and t.department
        kinds = {q.key: q.kind for q in t.questions}
        assert kinds["other_party_name"] == "text"
        assert kinds["other_party_phone"] == "phone"
        assert kinds["when"] == "date"
        assert kinds.get("where", "text") == "text"  # a type may ask where its own way
        assert t.questions[-1].key == "wants"
        for q in t.questions:
            assert q.kind in {"text", "phone", "amount", "date", "choice"}
            assert q.kind != "choice" or q.options


def test_amount_question_only_where_money_is_involved() -> None:
    types = {t.code: t for t in load_taxonomy(default_config_dir() / "taxonomy.toml")}
    assert "amount" in [q.key for q in types["labor"].questions]
    assert "amount" not in [q.key for q in types["neighbor"].questions]


def test_taxonomy_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[[type]]\ncode = "a"\nname = "甲"\n[[type]]\ncode = "a"\nname = "乙"\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_taxonomy(path)
    path.write_text('[[type]]\ncode = "a"\nname = "甲"\n[[type.questions]]\nkey = "k"\n'
                    'prompt = "?"\nkind = "choice"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="options"):
        load_taxonomy(path)
    # A string is not a list of options: it would otherwise become one option per character.
    path.write_text('[[type]]\ncode = "a"\nname = "甲"\n[[type.questions]]\nkey = "k"\n'
                    'prompt = "?"\nkind = "choice"\noptions = "是否"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="must be a list"):
        load_taxonomy(path)
    path.write_text('[[type]]\ncode = "a"\nname = "甲"\n[[type.questions]]\nkey = "k"\n'
                    'prompt = "?"\nkind = "video"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="kind"):
        load_taxonomy(path)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer.from_config(default_config_dir())


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("老闆欠我兩個月工資", "老板欠我两个月工资"),
        ("１３８１２３４５６７８", "13812345678"),
        ("￥３０００", "¥3000"),
        ("我哋公司冇俾人工", "我们公司没给人工"),
        ("俺家屋头", "我家家里"),
        ("拖欠工姿，要求陪偿", "拖欠工资，要求赔偿"),
        ("", ""),
        ("😀 ok", "😀 ok"),
    ],
)
def test_normalize(normalizer: Normalizer, raw: str, clean: str) -> None:
    assert normalizer.normalize(raw) == clean


def test_simplified_text_is_unchanged(normalizer: Normalizer) -> None:
    text = "楼上邻居每天晚上很吵，说了也不听。"
    assert normalizer.normalize(text) == text
