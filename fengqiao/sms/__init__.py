"""SMS gateways behind ``documents.otp.SmsSender``: the sender is chosen by settings, the
development log sender only when no provider is configured."""

from __future__ import annotations

from fengqiao.documents.otp import LogSmsSender, SmsSender
from fengqiao.settings import Settings, SettingsError


def build_sms_sender(settings: Settings) -> SmsSender:
    provider = settings.sms_provider.strip().lower()
    if not provider:
        return LogSmsSender()
    if provider == "tencent":
        from fengqiao.sms.tencent import TencentSmsSender

        return TencentSmsSender.from_settings(settings)
    raise SettingsError(f"FENGQIAO_SMS_PROVIDER={provider!r}: only 'tencent' is supported")
