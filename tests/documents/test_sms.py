"""The one-time code through Tencent Cloud SMS (against a local fake of its API), the log
sender only when nothing is configured, and the per-phone and per-document limits."""

from __future__ import annotations

import pytest

from fengqiao.documents.otp import LogSmsSender, OtpError, OtpService, SmsError
from fengqiao.settings import Settings, SettingsError
from fengqiao.sms import build_sms_sender
from fengqiao.sms.tencent import TencentSmsSender
from tests.fakes.tencent_sms import FakeTencentSms

PHONE = "13800000001"


@pytest.fixture
async def fake():
    server = await FakeTencentSms().start()
    yield server
    await server.close()


def sender_for(fake: FakeTencentSms, **overrides: str) -> TencentSmsSender:
    values = {"sms_provider": "tencent", "sms_secret_id": fake.secret_id,
              "sms_secret_key": fake.secret_key, "sms_app_id": fake.app_id,
              "sms_sign_name": "枫桥调解", "sms_template_id": fake.template_id,
              "sms_endpoint": fake.url} | overrides
    sender = build_sms_sender(Settings(**values))  # type: ignore[arg-type]
    assert isinstance(sender, TencentSmsSender)
    return sender


async def test_code_goes_out_through_tencent_and_verifies(fake, kv) -> None:
    otp = OtpService(kv, sender_for(fake), b"secret", clock=kv.clock)
    await otp.send("sign:D1:sig-party-1", PHONE, scope="D1")
    body = fake.sent[-1]
    assert body["PhoneNumberSet"] == ["+86" + PHONE]
    assert body["SignName"] == "枫桥调解" and body["TemplateId"] == fake.template_id
    code = fake.last_code(PHONE)
    assert code is not None and len(code) == 6 and body["TemplateParamSet"][1] == "5"
    await otp.verify("sign:D1:sig-party-1", PHONE, code)


async def test_wrong_secret_is_refused_by_the_provider(fake) -> None:
    with pytest.raises(SmsError) as err:
        await sender_for(fake, sms_secret_key="not-the-key").send(PHONE, "验证码 123456，5 分钟")
    assert str(err.value) == "AuthFailure.SignatureFailure"
    assert fake.sent == []


async def test_a_number_the_provider_refuses_leaves_no_code_behind(fake, kv) -> None:
    fake.blacklist.add(PHONE)
    otp = OtpService(kv, sender_for(fake), b"secret", clock=kv.clock)
    with pytest.raises(OtpError) as err:
        await otp.send("sign:D1:sig-party-1", PHONE)
    assert err.value.code == "not_sent" and "失败" in err.value.message
    fake.blacklist.clear()
    await otp.send("sign:D1:sig-party-1", PHONE)  # no "too soon": nothing was delivered


def test_log_sender_only_when_nothing_is_configured() -> None:
    assert isinstance(build_sms_sender(Settings()), LogSmsSender)
    with pytest.raises(SettingsError):
        build_sms_sender(Settings(sms_provider="tencent"))  # keys missing
    with pytest.raises(SettingsError):
        build_sms_sender(Settings(sms_provider="carrier-pigeon"))


async def test_rate_limits_per_phone_and_per_document(kv) -> None:
    otp = OtpService(kv, LogSmsSender(), b"secret", clock=kv.clock, max_per_phone=3,
                     max_per_scope=4)
    for n in range(3):  # three different documents, one phone
        await otp.send(f"sign:D{n}:f", PHONE, scope=f"D{n}")
        kv.now += 61
    with pytest.raises(OtpError) as err:
        await otp.send("sign:D9:f", PHONE, scope="D9")
    assert err.value.code == "rate_limited" and "分钟后" in err.value.message
    for n in range(4):  # one document, four phones
        await otp.send("sign:DX:f", f"1390000000{n}", scope="DX")
    with pytest.raises(OtpError) as err:
        await otp.send("sign:DX:f", "13900000009", scope="DX")
    assert err.value.code == "rate_limited"
    kv.now += 3601  # an hour later both windows have passed
    await otp.send("sign:DX:f", "13900000009", scope="DX")
