from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from fengqiao.documents.agreement import (
    SEAL_FIELD,
    build_agreement_pdf,
    render_agreement_text,
    yuan_in_words,
)
from fengqiao.documents.agreement_model import AgreementData, AgreementInvalid, validate_agreement
from fengqiao.documents.pdf_layout import FontMissing, find_cjk_font

from .samples import debt_agreement, debt_agreement_dict


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("50000", "伍万元整"),
        ("50000.5", "伍万元伍角"),
        ("1001.07", "壹仟零壹元零柒分"),
        ("100010", "壹拾万零壹拾元整"),
        ("120000000", "壹亿贰仟万元整"),
        ("0.3", "叁角"),
        ("0", "零元整"),
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert yuan_in_words(Decimal(amount)) == words


def test_complete_agreement_has_no_problems() -> None:
    assert validate_agreement(debt_agreement()) == []


def test_vague_obligation_is_refused_with_chinese_reasons() -> None:
    raw = debt_agreement_dict()
    raw["obligations"] = [{"obligor": "李四", "obligee": "张三", "kind": "payment",
                           "method": "bank_transfer", "description": "欠款"}]
    problems = validate_agreement(AgreementData.from_dict(raw))
    where = {p.where for p in problems}
    assert {"obligations[0].amount", "obligations[0].account", "obligations[0].deadline",
            "obligations[0].default_clause"} <= where
    messages = " ".join(p.message for p in problems)
    assert "金额" in messages and "账号" in messages and "履行期限" in messages
    with pytest.raises(AgreementInvalid) as err:
        render_agreement_text(AgreementData.from_dict(raw))
    assert "违约责任" in str(err.value)


def test_instalments_must_add_up_and_be_in_order() -> None:
    raw = debt_agreement_dict()
    raw["obligations"][0]["instalments"] = [{"due": "2025-12-31", "amount": "30000"},
                                            {"due": "2025-10-31", "amount": "10000"}]
    messages = [p.message for p in validate_agreement(AgreementData.from_dict(raw))]
    assert any("40000.00" in m and "50000.00" in m for m in messages)
    assert any("先后顺序" in m for m in messages)


def test_payment_method_as_a_person_writes_it() -> None:
    raw = debt_agreement_dict()
    raw["obligations"][0]["method"] = "银行转账"  # the name, as the form and the text show it
    data = AgreementData.from_dict(raw)
    assert data.obligations[0].method == "bank_transfer"
    assert validate_agreement(data) == []
    raw["obligations"][0]["method"] = "转账吧"
    problems = validate_agreement(AgreementData.from_dict(raw))
    message = next(p.message for p in problems if p.where.endswith(".method"))
    assert "银行转账、现金、微信转账或支付宝转账" in message and "bank" not in message


def test_the_verb_is_not_said_twice() -> None:
    raw = debt_agreement_dict()
    raw["obligations"][0]["description"] = "支付拖欠工资"
    text = render_agreement_text(AgreementData.from_dict(raw))
    assert "支付拖欠工资" in text and "支付支付" not in text


def test_a_description_typed_as_a_name_is_caught() -> None:
    raw = debt_agreement_dict()
    raw["parties"][1]["name"] = "李四，鑫达建筑公司老板"
    problems = validate_agreement(AgreementData.from_dict(raw))
    assert any(p.where == "parties[1].name" and "不像姓名" in p.message for p in problems)
    raw["parties"][1]["name"] = "城关镇鑫达建筑工程有限公司（分公司）"
    problems = validate_agreement(AgreementData.from_dict(raw))
    assert not any(p.where == "parties[1].name" for p in problems)


def test_parties_and_responsibility_are_required() -> None:
    raw = debt_agreement_dict(parties=[{"name": "张三", "role": "申请人"}],
                              responsibilities={})
    messages = " ".join(p.message for p in validate_agreement(AgreementData.from_dict(raw)))
    assert "至少需要两方" in messages
    assert "身份证件号码" in messages and "住所" in messages and "责任" in messages


def test_non_payment_obligation_needs_description_and_deadline() -> None:
    raw = debt_agreement_dict(obligations=[{"obligor": "李四", "obligee": "张三",
                                            "kind": "act", "default_clause": "x"}])
    where = {p.where for p in validate_agreement(AgreementData.from_dict(raw))}
    assert where == {"obligations[0].description", "obligations[0].deadline"}


@pytest.mark.parametrize("dispute_type", ["labor", "debt", "neighbor", "traffic", "family"])
def test_every_dispute_type_renders_art29_contents(dispute_type: str) -> None:
    text = render_agreement_text(debt_agreement(dispute_type=dispute_type))
    for needed in ("人民调解协议书", "当事人基本情况", "张三", "110101199001011234",
                   "纠纷事实", "各方责任", "未按约定归还借款", "伍万元整",
                   "6228480000000000000", "2025年10月31日", "违约责任", "司法确认"):
        assert needed in text, (dispute_type, needed)
    # No term needs a party's phone number: the agreement does not print it.
    assert "13800001111" not in text and "联系电话" not in text


def test_type_templates_add_their_own_terms() -> None:
    assert "劳动报酬" in render_agreement_text(debt_agreement(dispute_type="labor"))
    assert "相邻关系" in render_agreement_text(debt_agreement(dispute_type="neighbor"))
    assert "本次事故造成的全部损失" in render_agreement_text(debt_agreement(dispute_type="traffic"))
    family = render_agreement_text(debt_agreement(dispute_type="family"))  # falls back to base
    assert "劳动报酬" not in family and "借据" not in family


def test_pdf_has_chinese_text_fields_and_qr_link(tmp_path: Path) -> None:
    result = build_agreement_pdf(debt_agreement(), doc_code="FQ-2025-000123-K-AB12",
                                 public_url="https://fq.example.cn/")
    assert result.pdf.startswith(b"%PDF-")
    path = tmp_path / "a.pdf"
    path.write_bytes(result.pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, check=True, text=True).stdout
    compact = "".join(text.split())
    for needed in ("人民调解协议书", "张三", "李四", "伍万元整", "枫桥镇人民调解委员会",
                   "文书编号：FQ-2025-000123-K-AB12"):
        assert needed in compact
    assert "https://fq.example.cn/h5/verify?code=FQ-2025-000123-K-AB12" in compact
    reader = PdfReader(path)
    fields = reader.get_fields() or {}
    assert set(fields) == {"sig-party-1", "sig-party-2", "sig-mediator", SEAL_FIELD}
    assert [s.field_name for s in result.slots] == ["sig-party-1", "sig-party-2",
                                                    "sig-mediator", SEAL_FIELD]
    assert result.slots[0].signer_key == "person-1"
    seal_lock = fields[SEAL_FIELD].indirect_reference.get_object()["/Lock"]
    assert seal_lock["/Action"] == "/All" and seal_lock["/P"] == 1
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "CJK" in fonts and " yes yes " in fonts  # embedded and subset


def test_every_page_carries_the_verification_link(tmp_path: Path) -> None:
    long_facts = "事实陈述。" * 900
    result = build_agreement_pdf(debt_agreement(facts=long_facts), doc_code="D-1",
                                 public_url="http://localhost:8080")
    path = tmp_path / "long.pdf"
    path.write_bytes(result.pdf)
    pages = len(PdfReader(path).pages)
    assert pages >= 2
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
                              capture_output=True, check=True, text=True).stdout
        assert "http://localhost:8080/h5/verify?code=D-1" in text
        assert f"第{page}页/共{pages}页" in "".join(text.split())


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    find_cjk_font.cache_clear()
    monkeypatch.setattr("fengqiao.documents.pdf_layout.FONT_CANDIDATES", ())
    with pytest.raises(FontMissing) as err:
        find_cjk_font("/nonexistent/font.ttc")
    assert "fonts-noto-cjk" in str(err.value)
    find_cjk_font.cache_clear()
