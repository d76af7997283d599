from __future__ import annotations

import pytest

from fengqiao.nlp.pii import (
    find_bank_cards,
    find_id_numbers,
    find_phones,
    id_checksum_ok,
    luhn_ok,
    mask,
    mask_name,
)

VALID_ID = "110101199003074514"  # GB 11643 check digit 4
VALID_ID_X = "11010519491231002X"
VALID_CARD = "6222021234567890128"  # 19 digits, Luhn-valid
VALID_CARD_16 = "4111111111111111"


def test_id_checksum() -> None:
    assert id_checksum_ok(VALID_ID)
    assert id_checksum_ok(VALID_ID_X)
    assert id_checksum_ok(VALID_ID_X.lower())
    assert not id_checksum_ok("110101199003074515")
    assert not id_checksum_ok("11010119900307451")


def test_luhn() -> None:
    assert luhn_ok(VALID_CARD)
    assert luhn_ok(VALID_CARD_16)
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678", ["13812345678"]),
        ("打138-1234-5678或者139 8765 4321", ["13812345678", "13987654321"]),
        ("+8613812345678", ["13812345678"]),
        ("手机：15900001111。", ["15900001111"]),
        ("重复13812345678和13812345678", ["13812345678"]),
    ],
)
def test_phones(text: str, expected: list[str]) -> None:
    assert find_phones(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345678901",  # 12x is no mobile prefix
        "订单号13812345678",
        "快递单号：13812345678",
        "卡号138123456789012",  # longer run of digits
        VALID_ID,  # contains 11-digit runs that are not phones
        VALID_CARD,
        "SF13812345678",  # attached to letters
        "😀13812345😀",
        "1381234567",  # 10 digits
    ],
)
def test_not_phones(text: str) -> None:
    assert find_phones(text) == []


def test_id_numbers() -> None:
    assert find_id_numbers(f"身份证号{VALID_ID}，另一个{VALID_ID_X.lower()}") == [
        VALID_ID, VALID_ID_X]
    assert find_id_numbers("110101199003074515") == []  # bad checksum
    assert find_id_numbers("110101199013324512") == []  # month 13 cannot be a birth date
    assert find_id_numbers("1" + VALID_ID) == []  # part of a longer number
    assert find_id_numbers("") == []


def test_bank_cards() -> None:
    assert find_bank_cards(f"卡号{VALID_CARD}") == [VALID_CARD]
    assert find_bank_cards("卡号 4111 1111 1111 1111 ") == [VALID_CARD_16]
    assert find_bank_cards("4111111111111112") == []  # fails Luhn
    assert find_bank_cards(VALID_ID) == []  # an ID number is never a card
    assert find_bank_cards("13812345678") == []
    assert find_bank_cards("") == []


def test_mask_phone_id_card() -> None:
    masked = mask(f"我电话13812341111，身份证{VALID_ID}，卡号{VALID_CARD}")
    assert "138****1111" in masked
    assert "110*************14" in masked
    assert "***************0128" in masked
    assert "13812341111" not in masked and VALID_ID not in masked and VALID_CARD not in masked


def test_mask_is_conservative() -> None:
    # An ID number with a wrong check digit is still personal data.
    assert "110101199003074515" not in mask("身份证110101199003074515")
    assert mask("卡号 6222 0212 3456 7890 128").endswith("0128")
    assert "1234-5678" not in mask("座机0571-12345678")
    assert mask("") == ""
    assert mask("没有号码😀") == "没有号码😀"
    assert mask("欠我3000块") == "欠我3000块"


def test_mask_long_text() -> None:
    text = ("啊" * 5000) + "13812345678" + ("啊" * 5000)
    assert "138****5678" in mask(text)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("李小龙", "李**"), ("欧阳娜娜", "欧阳**"), ("欧阳娜", "欧阳*"),
     ("李", "李"), ("", ""), ("  王五 ", "王*")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked
