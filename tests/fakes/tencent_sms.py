"""A local fake of Tencent Cloud's SMS API 3.0 (SendSms), answering like Tencent does.

It checks the request the way the real endpoint does: the X-TC-* headers, the
TC3-HMAC-SHA256 Authorization recomputed from its own copy of the secret (re-derived
here independently of fengqiao/sms/tencent.py), the timestamp window, the app id and the
template; then answers ``SendStatusSet`` per number. ``blacklist`` numbers answer Tencent's
``FailedOperation.PhoneNumberInBlacklist``. Every accepted request is kept in ``sent``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


def _error(code: str, message: str) -> web.Response:
    return web.json_response({"Response": {"Error": {"Code": code, "Message": message},
                                           "RequestId": str(uuid.uuid4())}})


@dataclass
class FakeTencentSms:
    secret_id: str = "AKIDfakeFengqiao"
    secret_key: str = "fake-secret-key"
    app_id: str = "1400000000"
    template_id: str = "123456"
    link_template_id: str = "654321"  # a second approved template: case code and a link
    blacklist: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/"))

    async def start(self) -> FakeTencentSms:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self.server = TestServer(app)
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def last_code(self, phone: str) -> str | None:
        for body in reversed(self.sent):
            if "+86" + phone in body["PhoneNumberSet"]:
                return str(body["TemplateParamSet"][0])
        return None

    def _expected_signature(self, request: web.Request, payload: bytes, date: str,
                            timestamp: str) -> str:
        host = request.headers.get("Host", "")
        canonical = (f"POST\n/\n\ncontent-type:{request.headers.get('Content-Type')}\n"
                     f"host:{host}\n\ncontent-type;host\n"
                     + hashlib.sha256(payload).hexdigest())
        string_to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
                          + hashlib.sha256(canonical.encode()).hexdigest())
        k = hmac.new(("TC3" + self.secret_key).encode(), date.encode(), hashlib.sha256).digest()
        k = hmac.new(k, b"sms", hashlib.sha256).digest()
        k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
        return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()

    async def _handle(self, request: web.Request) -> web.Response:
        h = request.headers
        if h.get("X-TC-Action") != "SendSms" or h.get("X-TC-Version") != "2021-01-11":
            return _error("InvalidAction", "Action or version not supported.")
        if not h.get("X-TC-Region"):
            return _error("MissingParameter", "The request is missing a required parameter "
                                              "`Region`.")
        timestamp = h.get("X-TC-Timestamp", "0")
        if abs(time.time() - int(timestamp)) > 300:
            return _error("AuthFailure.SignatureExpire", "Signature expired.")
        payload = await request.read()
        auth = h.get("Authorization", "")
        try:
            algorithm, rest = auth.split(" ", 1)
            parts = dict(p.strip().split("=", 1) for p in rest.split(","))
            secret_id, date, service, term = parts["Credential"].split("/")
        except (ValueError, KeyError):
            return _error("AuthFailure.InvalidAuthorization", "Authorization is invalid.")
        if algorithm != "TC3-HMAC-SHA256" or service != "sms" or term != "tc3_request":
            return _error("AuthFailure.InvalidAuthorization", "Authorization is invalid.")
        if secret_id != self.secret_id:
            return _error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        if date != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d"):
            return _error("AuthFailure.SignatureFailure", "The provided credentials could "
                                                          "not be validated.")
        want = self._expected_signature(request, payload, date, timestamp)
        if not hmac.compare_digest(parts.get("Signature", ""), want):
            return _error("AuthFailure.SignatureFailure", "The provided credentials could "
                                                          "not be validated.")
        body = json.loads(payload)
        if body.get("SmsSdkAppId") != self.app_id:
            return _error("FailedOperation.AppIdNotExist", "SmsSdkAppId does not exist.")
        templates = (self.template_id, self.link_template_id)
        if body.get("TemplateId") not in templates or not body.get("SignName"):
            return _error("FailedOperation.TemplateIdNotExist", "Template ID does not exist.")
        statuses = []
        for number in body.get("PhoneNumberSet", []):
            if number.removeprefix("+86") in self.blacklist:
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0,
                                 "SessionContext": "",
                                 "Code": "FailedOperation.PhoneNumberInBlacklist",
                                 "Message": "The phone number is in the blocklist.",
                                 "IsoCode": "CN"})
            else:
                statuses.append({"SerialNo": uuid.uuid4().hex, "PhoneNumber": number,
                                 "Fee": 1, "SessionContext": "", "Code": "Ok",
                                 "Message": "send success", "IsoCode": "CN"})
        self.sent.append(body)
        return web.json_response({"Response": {"SendStatusSet": statuses,
                                               "RequestId": str(uuid.uuid4())}})
