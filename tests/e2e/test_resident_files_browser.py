"""Resident document pages at phone size in Debian's Chromium: the file fields speak Chinese
(probe #22: /h5/verify showed the browser's own "Choose File"), and a resident is not offered
"发表意见" on their own evidence, which the API refuses (probe #16)."""

from __future__ import annotations

import io

import aiohttp
import pytest

from fengqiao import keys
from fengqiao.web.kit.requester import wxa_session_key
from tests.conftest import NO_BROWSER, REPO
from tests.e2e.test_me_browser import CHROMIUM, FLAGS, server  # noqa: F401  (fixture)
from tests.web.docs_helpers import make_case

ARTIFACTS = REPO / "test-artifacts" / "resident-files"


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 60)).save(out, "PNG")
    return out.getvalue()


PNG = png()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium not installed"),
]


async def upload(http: aiohttp.ClientSession, code: str, bearer: dict[str, str], name: str):
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename=name, content_type="image/png")
    form.add_field("visibility", "parties")
    async with http.post(f"/api/v1/cases/{code}/evidence", data=form, headers=bearer) as resp:
        assert resp.status in (200, 201), await resp.text()


async def phone_page(browser):
    return await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  locale="en-US")  # an English phone: our words, not its own


async def test_no_comment_box_on_ones_own_evidence(server):  # noqa: F811
    from playwright.async_api import async_playwright

    base, app = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    case = await make_case(app, suffix="ev")
    await app[keys.KV].set(wxa_session_key("session-resp"), "o-resp-ev", ttl=3600)
    await app[keys.KV].set(wxa_session_key("session-app"), "o-app-ev", ttl=3600)
    mine, theirs = {"Authorization": "Bearer session-resp"}, {"Authorization": "Bearer session-app"}
    async with aiohttp.ClientSession(base) as http:
        await upload(http, case.code, mine, "我的收条.png")
        await upload(http, case.code, theirs, "对方的照片.png")
        async with http.get(f"/api/v1/cases/{case.code}/evidence", headers=mine) as resp:
            listed = {e["name"]: e["can_comment"] for e in (await resp.json())["evidence"]}
        assert listed == {"我的收条.png": False, "对方的照片.png": True}
        async with http.post("/api/v1/me/ticket", headers=mine) as resp:
            ticket = (await resp.json())["ticket"]

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = await phone_page(browser)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{base}/h5/evidence/{case.code}?ticket={ticket}")
        await page.wait_for_selector("text=对方的照片.png")
        own = page.locator("section.card", has_text="我的收条.png")
        other = page.locator("section.card", has_text="对方的照片.png")
        assert await own.locator("button", has_text="发表意见").count() == 0
        assert await own.locator("textarea").count() == 0
        assert await other.locator("button", has_text="发表意见").count() == 1
        label = page.locator("label.file")
        assert "点击选择文件" in await label.inner_text()
        await page.set_input_files("#file", files=[{"name": "新证据.png", "mimeType": "image/png",
                                                     "buffer": PNG}])
        assert "已选择：新证据.png" in await label.inner_text()
        await page.screenshot(path=str(ARTIFACTS / "evidence.png"), full_page=True)
        await browser.close()
    assert errors == []


async def test_verify_upload_is_a_chinese_file_control(server):  # noqa: F811
    from playwright.async_api import async_playwright

    base, _ = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = await phone_page(browser)
        await page.goto(f"{base}/h5/verify")
        field = page.locator("#file")
        assert await field.evaluate("e => getComputedStyle(e).opacity") == "0"  # not "Choose File"
        label = page.locator("label.file")
        assert await label.inner_text() == "点击选择 PDF 文件"
        box = await label.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] >= 40  # a big tap target
        await page.screenshot(path=str(ARTIFACTS / "verify-empty.png"), full_page=True)
        await page.set_input_files("#file", files=[{"name": "调解协议书.pdf",
                                                     "mimeType": "application/pdf",
                                                     "buffer": b"%PDF-1.7\n%%EOF\n"}])
        assert await label.inner_text() == "已选择：调解协议书.pdf"
        await page.click("#byfile")
        await page.wait_for_selector("#result:not([hidden]), #msg .msg.error")
        await page.screenshot(path=str(ARTIFACTS / "verify-chosen.png"), full_page=True)
        await browser.close()
