"""What `create_user` refuses as a password, and that the passwords in use still pass."""

from __future__ import annotations

import pytest

from fengqiao.accounts import AccountError, add_user_command, check_new_password, create_user
from fengqiao.cases.demo import DEMO_PASSWORD, DEMO_USERS
from fengqiao.common_passwords import COMMON_PASSWORDS
from fengqiao.passwords import (
    COMMON,
    HAS_USERNAME,
    PATTERN,
    PERSONAL,
    TOO_FEW_DISTINCT,
    TOO_LONG,
    TOO_SHORT,
    password_problem,
)

REFUSED = {
    "short": ("abc-123", TOO_SHORT),
    "nine characters": ("Qx7#mK2$z", TOO_SHORT),
    "one character": ("aaaaaaaaaa", TOO_FEW_DISTINCT),
    "two characters alternating": ("1212121212", TOO_FEW_DISTINCT),
    "digits in order": ("1234567890", PATTERN),
    "digits backwards": ("9876543210", PATTERN),
    "letters in order": ("abcdefghij", PATTERN),
    "letters in order, capitals": ("ABCDEFGHIJKL", PATTERN),
    "keyboard row": ("qwertyuiop", PATTERN),
    "keyboard row with its symbols": ("zxcvbnm,./", PATTERN),
    "keyboard columns": ("1qaz2wsx3edc", PATTERN),
    "keyboard zigzag": ("q1w2e3r4t5y6", PATTERN),
    "two walks": ("qwerty123456", PATTERN),
    "three runs": ("abcd1234!!!!", PATTERN),
    "pairs in order": ("1122334455", PATTERN),
    "a short unit repeated": ("abc12abc12abc12", PATTERN),
    "a common word repeated": ("passwordpassword", PATTERN),
    "common": ("password1234", COMMON),
    "common with a year": ("Password2026!", COMMON),
    "common in leet": ("P@ssw0rd2026", COMMON),
    "common with spaces": ("i love you 1314", COMMON),
    "common Chinese love number": ("woaini1314520", COMMON),
    "common pinyin name": ("zhangwei19900101", COMMON),
    "the platform's name": ("Fengqiao2026", COMMON),
    "admin with digits": ("admin@123456", COMMON),
    "mobile number": ("13812345678", PERSONAL),
    "mobile number with country code": ("+86 138 1234 5678", PERSONAL),
    "ID number": ("11010119900101123X", PERSONAL),
    "date with digits": ("2026-12-07-88", PERSONAL),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_passwords_say_why(name):
    password, why = REFUSED[name]
    assert password_problem(password, "someone") == why


def test_the_username_inside_the_password_is_refused():
    assert password_problem("Zhangsan@County-9", "zhangsan") == HAS_USERNAME
    assert password_problem("x-ZHANG.SAN-county", "zhangsan") == HAS_USERNAME
    # A name of one or two letters is inside many words: not held against them.
    assert password_problem("correct horse battery", "li") is None


def test_too_long_is_refused():
    assert password_problem("correct horse battery " * 20, "li") == TOO_LONG


ACCEPTED = [
    "correct horse battery",
    "a-long-password",
    "mediator-password-1",
    "Tr0ub4dor&3x",
    "7h1s-1s-n0t-b4d",
    "北京市朝阳区调解员李明",
    "县综治中心 2026 年新密码",
    "mK7#q2Lz9!",
]


@pytest.mark.parametrize("password", ACCEPTED)
def test_ordinary_good_passwords_pass(password):
    assert password_problem(password, "zhaoliu") is None


def test_every_common_password_of_ten_characters_or_more_is_refused():
    long_ones = [p for p in COMMON_PASSWORDS if len(p) >= 10]
    assert len(COMMON_PASSWORDS) >= 500 and len(long_ones) >= 60
    assert [p for p in long_ones if password_problem(p, "nobody") is None] == []
    # ...and the short ones with digits added to reach the length.
    short = [p for p in COMMON_PASSWORDS if p.isalpha() and len(p) >= 4]
    padded = [p + "2026" + "1" * max(0, 6 - len(p)) for p in short]
    assert [p for p in padded if password_problem(p, "nobody") is None] == []


def test_the_demo_password_passes_for_every_demo_user():
    # `fengqiao demo` skips a user whose creation fails: its password must stay acceptable.
    for username, *_ in DEMO_USERS:
        assert password_problem(DEMO_PASSWORD, username) is None


async def test_create_user_refuses_weak_passwords_in_both_languages(services):
    for password in ("qwertyuiop", "password2026", "admin-2026-secret"):
        with pytest.raises(AccountError) as refused:
            await create_user(services.db, "admin", password, "admin")
        message = str(refused.value)
        assert " / " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message)
    with pytest.raises(AccountError, match="包含用户名"):
        check_new_password("admin-2026-secret", "admin")
    assert (await services.cases.verify_audit()).entries == 0  # nothing was created
    await create_user(services.db, "admin", "correct horse battery", "admin")


def test_users_add_command_prints_why_a_password_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FENGQIAO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("FENGQIAO_DATABASE_URL", raising=False)
    assert add_user_command("root", "admin", "1234567890", None, None) == 1
    assert "连续" in capsys.readouterr().out
