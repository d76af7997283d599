from __future__ import annotations

import logging
import re

import pytest

from fengqiao.documents.otp import LogSmsSender, OtpError, OtpService

from .conftest import MemoryKV

PHONE = "13812345678"


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))

    @property
    def last_code(self) -> str:
        match = re.search(r"\d{6}", self.sent[-1][1])
        assert match
        return match.group()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def otp(kv: MemoryKV, sender: RecordingSender) -> OtpService:
    return OtpService(kv=kv, sender=sender, secret=b"k", clock=kv.clock)


async def test_right_code_passes_once(otp: OtpService, sender: RecordingSender) -> None:
    await otp.send("sign:D1", PHONE)
    assert "5 分钟内有效" in sender.sent[0][1]
    code = sender.last_code
    await otp.verify("sign:D1", PHONE, code)
    with pytest.raises(OtpError) as err:  # reused
        await otp.verify("sign:D1", PHONE, code)
    assert err.value.code == "expired"


async def test_expired_code_is_refused(otp: OtpService, sender: RecordingSender,
                                       kv: MemoryKV) -> None:
    await otp.send("sign:D1", PHONE)
    kv.now += 301
    with pytest.raises(OtpError) as err:
        await otp.verify("sign:D1", PHONE, sender.last_code)
    assert err.value.code == "expired" and "过期" in err.value.message


async def test_expiry_is_checked_even_if_store_keeps_the_key(
        sender: RecordingSender, kv: MemoryKV) -> None:
    skew = {"s": 0.0}
    service = OtpService(kv=kv, sender=sender, secret=b"k", clock=lambda: kv.now + skew["s"])
    await service.send("p", PHONE)
    skew["s"] = 301  # the store (on its own clock) still has the key; the code is too old
    with pytest.raises(OtpError) as err:
        await service.verify("p", PHONE, sender.last_code)
    assert err.value.code == "expired"


async def test_code_for_another_purpose_or_phone_fails(otp: OtpService,
                                                       sender: RecordingSender) -> None:
    await otp.send("sign:D1", PHONE)
    with pytest.raises(OtpError):
        await otp.verify("sign:D2", PHONE, sender.last_code)
    with pytest.raises(OtpError):
        await otp.verify("sign:D1", "13900000000", sender.last_code)


async def test_too_many_wrong_tries(otp: OtpService, sender: RecordingSender) -> None:
    await otp.send("p", PHONE)
    right = sender.last_code
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(OtpError) as err:
            await otp.verify("p", PHONE, wrong)
        assert err.value.code == "wrong" and f"{left} 次" in err.value.message
    with pytest.raises(OtpError) as err:
        await otp.verify("p", PHONE, wrong)
    assert err.value.code == "too_many"
    with pytest.raises(OtpError):  # the right code no longer helps
        await otp.verify("p", PHONE, right)


async def test_resend_is_rate_limited(otp: OtpService, kv: MemoryKV) -> None:
    await otp.send("p", PHONE)
    with pytest.raises(OtpError) as err:
        await otp.send("p", PHONE)
    assert err.value.code == "too_soon"
    kv.now += 61
    await otp.send("p", PHONE)


async def test_store_holds_no_code_or_phone(otp: OtpService, sender: RecordingSender,
                                            kv: MemoryKV) -> None:
    await otp.send("p", PHONE)
    dump = repr(kv.data)
    assert sender.last_code not in dump and PHONE not in dump


async def test_bad_phone(otp: OtpService) -> None:
    with pytest.raises(OtpError) as err:
        await otp.send("p", "12345")
    assert err.value.code == "bad_phone"


async def test_dev_sender_masks_phone(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        await LogSmsSender().send(PHONE, "验证码 123456")
    assert "138****5678" in caplog.text and PHONE not in caplog.text
    assert "123456" in caplog.text
