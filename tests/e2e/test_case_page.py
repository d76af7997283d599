"""A party's case space in headless Chromium on a 390 px phone: opened by their case link, it
shows where the case stands, sends a message and a photo to the mediator, and leads to the
evidence page, which offers 质证 on the other side's evidence only. Screenshots in
test-artifacts/case-page*.png."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.case_link import CaseLinks
from tests.conftest import NO_BROWSER, REPO, make_settings
from tests.e2e.test_sign_page import ARGS, CHROMIUM
from tests.web.docs_helpers import jpeg_bytes, make_case, party_token

ARTIFACTS = REPO / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium not installed"),
]


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 220, 240)).save(out, "JPEG")
    return out.getvalue()


async def test_a_party_uses_their_case_space_on_a_phone(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    server = TestServer(create_app(make_settings(tmp_path)))
    async with TestClient(server) as client:
        app = client.app
        case = await make_case(app)
        # The other side has put in evidence already.
        form = FormData()
        form.add_field("file", jpeg_bytes(), filename="转账记录.jpg", content_type="image/jpeg")
        other = party_token(app, case, case.respondent, "case")
        resp = await client.post(f"/api/v1/cases/{case.code}/evidence?t={other}", data=form)
        assert resp.status == 200
        base = str(server.make_url("")).rstrip("/")
        link = CaseLinks(app[keys.SETTINGS].secret, base)
        url = link.for_party(case_id=case.case_id, case_code=case.code, party_id=case.applicant)

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 390, "height": 844},
                                              device_scale_factor=2, is_mobile=True,
                                              has_touch=True)
                await page.goto(url)
                await page.wait_for_selector("#steps li", state="attached")
                assert case.code in await page.inner_text("#title")
                await page.fill("#text", "老板说月底给钱，但上个月也是这么说的。")
                await page.click("#send")
                await page.wait_for_selector(".bubble.mine")
                await page.set_input_files("#image", files=[
                    {"name": "工资条.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
                await page.wait_for_selector(".bubble img.photo")
                assert await page.evaluate("document.documentElement.scrollWidth") <= 390
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "case-page.png"), full_page=True)

                await page.click("#evidence-link")
                await page.wait_for_selector("#list .card")
                await page.set_input_files("#file", files=[
                    {"name": "工资条.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
                await page.click("#upload")
                await page.wait_for_selector("#list > section.card:nth-child(2)")
                cards = await page.query_selector_all("#list .card")
                offers = [await c.query_selector("textarea") is not None for c in cards]
                names = [await (await c.query_selector("h2")).inner_text() for c in cards]
                assert dict(zip(names, offers)) == {"工资条.jpg": False, "转账记录.jpg": True}
                assert await page.evaluate("document.documentElement.scrollWidth") <= 390
                await page.screenshot(path=str(ARTIFACTS / "case-page-evidence.png"),
                                      full_page=True)
                await page.click("#back")
                await page.wait_for_selector(".bubble.mine")
            finally:
                await browser.close()
