"""Secrets and personal data never reach the logs: the service's own log output (JSON lines,
as `fengqiao serve` writes them) is captured during a whole WeChat intake dialog and a whole
agreement flow (draft, sign with one-time codes, seal, deliver), then searched."""

from __future__ import annotations

import io
import logging
import re

import pytest
import xmltodict
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys, logs
from fengqiao.app import create_app
from fengqiao.documents.notify import LogNotifier
from tests.bot import wx
from tests.conftest import make_settings
from tests.fakes.resident import Resident
from tests.fakes.wechat_server import FakeWeChat
from tests.web import test_documents_flow
from tests.web.docs_helpers import APPLICANT_PHONE, RESPONDENT_PHONE

PHONE = "13712345678"
ID_NUMBER = "110101199001011234"
AGREEMENT_IDS = ("110101199001011234", "330681198505052345")
SECRET_KEY = "log-test-secret-key-0123456789"


@pytest.fixture
def captured():
    """The service's log configuration, writing into a buffer instead of stderr."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    logs.configure("INFO", buffer)
    yield buffer
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


async def test_no_secret_or_personal_data_in_the_logs(tmp_path, captured):
    fake = FakeWeChat(accounts={wx.APPID: wx.MP_SECRET})
    await fake.start()
    settings = make_settings(
        tmp_path,
        secret_key=SECRET_KEY,
        wechat_appid=wx.APPID,
        wechat_secret=wx.MP_SECRET,
        wechat_api_base=fake.base_url,
    )
    try:
        async with TestClient(TestServer(create_app(settings))) as client:
            # A resident files a dispute naming a phone and an ID number along the way.
            resident = Resident(
                description=f"邻居欠我两万元不还，我的身份证号{ID_NUMBER}，电话{PHONE}，"
                "请帮忙调解。",
                name="李秀英",
                phone=PHONE,
            )
            said = resident.opening()
            for msg_id in range(70_000, 70_040):
                if said is None:
                    break
                xml = wx.text("o-logs-user", said, msg_id)
                resp = await client.post("/wechat/mp", params=wx.signed(), data=xml.encode())
                said = resident.answer(said, xmltodict.parse(await resp.text())["xml"]["Content"])
            assert resident.code
            # The agreement flow, as its own test runs it: ID numbers, phones, codes, tokens.
            # (Its links go through the recording notifier that test reads back.)
            client.app[keys.DOCUMENTS].use_notifier(LogNotifier())
            await test_documents_flow.test_agreement_signed_sealed_verified_delivered(client)
    finally:
        tokens = list(fake._tokens) + list(fake._expired)
        await fake.close()

    text = captured.getvalue()
    assert len(text.splitlines()) > 20  # the flows did log
    assert "****" in text  # and personal data went through the logs, masked
    forbidden = {
        "phone number": [PHONE, APPLICANT_PHONE, RESPONDENT_PHONE],
        "ID number": [ID_NUMBER, *AGREEMENT_IDS],
        "secret key": [SECRET_KEY],
        "WeChat app secret": [wx.MP_SECRET],
        "WeChat access token": tokens,
        "party link token": ["fq1."],
        "resident name": ["李秀英"],
    }
    for what, values in forbidden.items():
        for value in values:
            assert value not in text, f"{what} in the logs: {value}"
    # The openid is a pseudonym in logs, never the raw value.
    assert "o-logs-user" not in text
    # Nothing that looks like a full mainland mobile number or ID number, whatever its source.
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", text)


def test_a_logged_path_keeps_no_token(captured):
    # Probe report #3: the error log line of a failed party-link request held the whole party
    # credential in "path". Every line is scrubbed by the formatter, whatever logged it.
    token = "fq1.eyJ1IjoiYm9va2luZyIsImMiOjEsInAiOjF9.wJEUFvm7dS7NFkkvDtTWnbz9lsPJh0g9UqQd01DsHJY"
    opaque = "Zm9yZ2VkLWJ1dC1zdGlsbC1hLWNyZWRlbnRpYWwtbG9va2luZw"
    log = logging.getLogger("fengqiao.web")
    try:
        raise OverflowError(f"while handling /h5/booking/{token}")
    except OverflowError:
        log.exception("unhandled error", extra={"path": f"/api/v1/booking/party/{token}/confirm"})
    log.warning("dependency unavailable", extra={"path": f"/h5/booking/{opaque}"})
    log.warning("opened %s", f"/h5/room/r1?t={opaque}&ticket={opaque}&x=1")
    log.warning("case page", extra={"path": "/h5/delivery/FQ2611-AAAAAA-A-00000000"})
    text = captured.getvalue()
    assert "fq1." in text and "wJEUFvm7" not in text and "eyJ1Ijoi" not in text
    assert opaque not in text
    assert "/api/v1/booking/party/fq1.…/confirm" in text
    assert "/h5/room/r1?t=…&ticket=…&x=1" in text
    assert "/h5/delivery/FQ2611-AAAAAA-A-00000000" in text  # a document code is no secret
