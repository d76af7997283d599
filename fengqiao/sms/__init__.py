"""SMS gateways behind ``documents.otp.SmsSender``: the sender is chosen by settings, the
development log sender only when no provider is configured."""

from __future__ import annotations

from typing import Protocol

from fengqiao.documents.otp import LogSmsSender, SmsSender
from fengqiao.settings import Settings, SettingsError


class LinkSender(Protocol):
    """Sends a party a link by SMS (an approved template: case code and link)."""

    async def send_link(self, phone: str, case_code: str, url: str) -> None: ...


def build_link_sender(settings: Settings) -> LinkSender | None:
    """The SMS sender for links, or None when no provider and link template are configured
    (then staff copy the links from the console and send them themselves)."""
    if settings.sms_provider.strip().lower() != "tencent" or not settings.sms_link_template_id:
        return None
    from fengqiao.sms.tencent import TencentSmsSender

    return TencentSmsSender.from_settings(settings)


def build_sms_sender(settings: Settings) -> SmsSender:
    provider = settings.sms_provider.strip().lower()
    if not provider:
        return LogSmsSender()
    if provider == "tencent":
        from fengqiao.sms.tencent import TencentSmsSender

        return TencentSmsSender.from_settings(settings)
    raise SettingsError(f"FENGQIAO_SMS_PROVIDER={provider!r}: only 'tencent' is supported")
