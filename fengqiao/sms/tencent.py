"""Tencent Cloud SMS (API 3.0, action SendSms, version 2021-01-11), signed with
TC3-HMAC-SHA256 as Tencent Cloud documents it ("Signature v3").

The message text is an approved template (``FENGQIAO_SMS_TEMPLATE_ID``) with the code and
its lifetime in minutes as parameters {1} and {2}; the OTP service's own text is only used
by the development log sender.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp

from fengqiao.documents.otp import SmsError, mask_phone
from fengqiao.settings import Settings, SettingsError

log = logging.getLogger(__name__)

SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_MINUTES = re.compile(r"(\d+)\s*分钟")


def tc3_authorization(*, secret_id: str, secret_key: str, host: str, payload: bytes,
                      timestamp: int, service: str = SERVICE) -> str:
    """The ``Authorization`` header of a TC3-HMAC-SHA256 signed POST with a JSON body."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join([
        "POST", "/", "", f"content-type:{CONTENT_TYPE}\nhost:{host}\n", "content-type;host",
        hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing_key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service),
                        "tc3_request")
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
            f"SignedHeaders=content-type;host, Signature={signature}")


@dataclass
class TencentSmsSender:
    secret_id: str
    secret_key: str
    app_id: str
    sign_name: str
    template_id: str
    region: str = "ap-guangzhou"
    endpoint: str = "https://sms.tencentcloudapi.com"
    timeout: float = 10.0
    link_template_id: str = ""  # {1} = case code, {2} = link; empty: no link messages

    @classmethod
    def from_settings(cls, settings: Settings) -> TencentSmsSender:
        missing = [name for name in ("sms_secret_id", "sms_secret_key", "sms_app_id",
                                     "sms_sign_name", "sms_template_id")
                   if not getattr(settings, name)]
        if missing:
            raise SettingsError("Tencent Cloud SMS needs " + ", ".join(
                "FENGQIAO_" + m.upper() for m in missing))
        return cls(settings.sms_secret_id, settings.sms_secret_key, settings.sms_app_id,
                   settings.sms_sign_name, settings.sms_template_id, settings.sms_region,
                   settings.sms_endpoint, link_template_id=settings.sms_link_template_id)

    async def send(self, phone: str, text: str) -> None:
        """Send the template with the code (and minutes) found in ``text``."""
        code, minutes = _CODE.search(text), _MINUTES.search(text)
        params = [code.group(1) if code else text, minutes.group(1) if minutes else "5"]
        await self._send(phone, self.template_id, params)

    async def send_link(self, phone: str, case_code: str, url: str) -> None:
        """Send the link template: the case code and a link (booking page, video room)."""
        if not self.link_template_id:
            raise SmsError("no_link_template")
        await self._send(phone, self.link_template_id, [case_code, url])

    async def _send(self, phone: str, template_id: str, params: list[str]) -> None:
        body = json.dumps({
            "PhoneNumberSet": ["+86" + phone], "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name, "TemplateId": template_id,
            "TemplateParamSet": params}, ensure_ascii=False).encode()
        host = urlsplit(self.endpoint).netloc
        timestamp = int(time.time())
        headers = {
            "Authorization": tc3_authorization(secret_id=self.secret_id,
                                               secret_key=self.secret_key, host=host,
                                               payload=body, timestamp=timestamp),
            "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": ACTION,
            "X-TC-Version": VERSION, "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as http, \
                    http.post(self.endpoint, data=body, headers=headers) as resp:
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("Tencent SMS to %s failed: %s", mask_phone(phone), type(exc).__name__)
            raise SmsError("network") from exc
        response = answer.get("Response", {}) if isinstance(answer, dict) else {}
        if "Error" in response:
            error = str(response["Error"].get("Code", ""))
            log.warning("Tencent SMS to %s refused: %s (request %s)", mask_phone(phone), error,
                        response.get("RequestId"))
            raise SmsError(error)
        statuses = response.get("SendStatusSet") or [{}]
        status = str(statuses[0].get("Code", ""))
        if status != "Ok":
            log.warning("Tencent SMS to %s not sent: %s", mask_phone(phone), status)
            raise SmsError(status or "unknown")
        log.info("Tencent SMS sent to %s (serial %s)", mask_phone(phone),
                 statuses[0].get("SerialNo"))
