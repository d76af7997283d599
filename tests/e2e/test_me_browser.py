"""The resident's web-view and the mediator's answer, in Debian's headless Chromium at phone
size: a ticket opens the resident's pages with a cookie (no link, no token in the URL), the
mediator reads and answers the resident's message on the console's case page."""

from __future__ import annotations

import shutil
import socket

import aiohttp
import pytest
from aiohttp import web

from fengqiao import keys
from fengqiao.accounts import create_user
from fengqiao.app import create_app
from fengqiao.web.kit.requester import wxa_session_key
from tests.conftest import NO_BROWSER, REPO, make_settings
from tests.web.docs_helpers import make_case

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts" / "me"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-component-update"]
PASSWORD = "correct horse battery"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium not installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server(tmp_path):
    port = free_port()
    app = create_app(make_settings(tmp_path, public_url=f"http://127.0.0.1:{port}"))
    app[keys.RUN_SCHEDULER] = False
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", app
    await runner.cleanup()


async def test_web_view_by_ticket_and_the_mediators_answer(server):
    from playwright.async_api import async_playwright

    base, app = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    case = await make_case(app, suffix="me")
    await create_user(app[keys.DB], "boss", PASSWORD, "admin", display_name="王主任")
    await app[keys.KV].set(wxa_session_key("session-me"), "o-resp-me", ttl=3600)
    bearer = {"Authorization": "Bearer session-me"}
    async with aiohttp.ClientSession(base) as http:
        resp = await http.post(f"/api/v1/cases/{case.code}/messages", headers=bearer,
                               json={"text": "请问调解安排在哪天？"})
        assert resp.status == 200
        tickets = []
        for _ in range(2):
            async with http.post("/api/v1/me/ticket", headers=bearer) as resp:
                tickets.append((await resp.json())["ticket"])

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        phone = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                                       locale="zh-CN")
        errors: list[str] = []
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        await phone.goto(f"{base}/h5/me/cases/{case.code}/booking?ticket={tickets[0]}")
        assert phone.url == f"{base}/h5/me/cases/{case.code}/booking"  # the ticket is gone
        await phone.wait_for_selector("text=中心正在为您安排调解员")
        await phone.screenshot(path=str(ARTIFACTS / "booking-webview.png"), full_page=True)
        # The cookie carries on to the next page the web-view opens.
        await phone.goto(f"{base}/h5/evidence/{case.code}")
        await phone.wait_for_load_state("networkidle")
        assert "链接" not in await phone.inner_text("body")
        await phone.screenshot(path=str(ARTIFACTS / "evidence-webview.png"), full_page=True)
        # A spent ticket opens nothing, in a fresh web-view too.
        other = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        spent = await other.goto(f"{base}/h5/evidence/{case.code}?ticket={tickets[0]}")
        assert spent is not None and spent.status == 401

        console = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                                         locale="zh-CN")
        await console.goto(f"{base}/console/")
        await console.fill("input[name=username]", "boss")
        await console.fill("input[name=password]", PASSWORD)
        await console.click("#login button[type=submit]")
        await console.wait_for_url(f"{base}/console/cases")
        await console.goto(f"{base}/console/cases/{case.code}")
        thread = console.locator(f"#thread-{case.respondent}")
        await thread.locator("text=请问调解安排在哪天？").wait_for()
        await thread.locator("textarea").fill("定在下周二上午，请带身份证。")
        await thread.locator("button[type=submit]").click()
        await thread.locator("text=定在下周二上午，请带身份证。").wait_for()
        await console.locator("#messages").screenshot(path=str(ARTIFACTS / "console-messages.png"))
        await browser.close()
    assert errors == []
    async with aiohttp.ClientSession(base) as http:
        async with http.get(f"/api/v1/cases/{case.code}/messages", headers=bearer) as resp:
            texts = [m["text"] for m in (await resp.json())["messages"]]
    assert texts == ["请问调解安排在哪天？", "定在下周二上午，请带身份证。"]
