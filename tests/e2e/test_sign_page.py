"""The signing page in headless Chromium: request the code, draw, sign; the signature is
valid in the stored PDF and the verify page says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.verify import verify_pdf
from tests.conftest import NO_BROWSER, REPO, WECHAT_UA, make_settings
from tests.web.docs_helpers import APPLICANT_PHONE, complete, make_case, staff_headers

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium not installed"),
]


async def test_party_signs_on_the_phone_page(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient
    from playwright.async_api import async_playwright

    server = TestServer(create_app(make_settings(tmp_path)))
    async with TestClient(server) as client:
        app = client.app
        # public_url is only used in links; the browser talks to the test server directly.
        case = await make_case(app)
        staff = await staff_headers(app)
        draft = await (await client.post(f"/api/v1/cases/{case.code}/agreement",
                                         headers=staff)).json()
        doc = draft["code"]
        await client.put(f"/api/v1/documents/{doc}/draft", headers=staff,
                         json=complete(draft["data"]))
        links = (await (await client.post(f"/api/v1/documents/{doc}/issue",
                                          headers=staff)).json())["links"]
        path = links[str(case.applicant)].split("fengqiao.test", 1)[1]
        base = str(server.make_url(""))

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 390, "height": 844},
                                              device_scale_factor=2, is_mobile=True,
                                              has_touch=True, user_agent=WECHAT_UA)
                await page.goto(base + path)
                await page.wait_for_selector("#signbox:not([hidden])")
                assert "人民调解协议书" in await page.inner_text("#text")
                assert "刘某向王建国支付" in await page.inner_text("#text")
                assert "个人信息保护提示" in await page.inner_text("#privacy")

                await page.click("#send")
                await page.wait_for_selector("text=验证码已发送至 138****0001")
                code = app[keys.DOCUMENTS].otp.sender.last_code(APPLICANT_PHONE)
                await page.fill("#otp", code)

                pad = await page.query_selector("#pad")
                assert pad is not None
                await pad.scroll_into_view_if_needed()
                box = await pad.bounding_box()
                assert box is not None
                x, y = box["x"], box["y"]
                await page.mouse.move(x + 30, y + 120)
                await page.mouse.down()
                for dx, dy in [(60, 40), (110, 110), (160, 50), (220, 120), (300, 60)]:
                    await page.mouse.move(x + dx, y + dy, steps=6)
                await page.mouse.up()

                await page.click("#submit")
                await page.wait_for_selector("text=签署成功！您已完成签署。")
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "sign-page.png"), full_page=True)
                assert "✔ 已签署" in await page.inner_text("#slots")

                # Consent to electronic service: said in words, not as the account's id, and
                # the button goes (docs.css must let the hidden attribute win over buttons).
                await page.click("#consent")
                await page.wait_for_selector("text=已确认电子送达地址：您的微信")
                assert "o-app" not in await page.inner_text("#consentmsg")
                assert not await page.is_visible("#consent")

                # The verify page, reached from the link on the signing page.
                await page.click("#verify")
                await page.wait_for_selector("#result:not([hidden])")
                text = await page.inner_text("#result")
                assert "✔ 有效" in text and "王**" in text
                assert "还不是最终版本" in text  # one of four signatures, not sealed
                await page.screenshot(path=str(ARTIFACTS / "verify-page.png"), full_page=True)
            finally:
                await browser.close()

        pdf = await (await client.get(f"/api/v1/documents/{doc}/pdf", headers=staff)).read()
        ca = app[keys.DOCUMENTS].ca
        result = await verify_pdf(pdf, [ca.trust_root], intermediates=ca.intermediates)
        assert result.ok, result.message
        assert [s.signer_name for s in result.signatures] == ["王建国"]
