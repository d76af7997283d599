"""The console, dashboard and progress page in Debian's headless Chromium, with screenshots."""

import shutil
import socket

import pytest
from aiohttp import web

from fengqiao import keys
from fengqiao.accounts import create_user
from fengqiao.app import create_app
from tests.cases.helpers import resident_case
from tests.conftest import NO_BROWSER, REPO, make_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts" / "console"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
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
    settings = make_settings(tmp_path, public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    db, cases = app[keys.DB], app[keys.CASES]
    await create_user(db, "boss", PASSWORD, "admin", display_name="王主任")
    filed = []
    for n in range(6):
        f = await cases.file_case(resident_case(n, risk=["blue", "yellow", "red"][n % 3]))
        filed.append(f.code)
    for code in filed[:4]:
        await cases.route(code, "staff:li")
    await cases.close(filed[0], "staff:li", outcome="success", summary="达成协议")
    await cases.close(filed[1], "staff:li", outcome="partial", summary="部分达成")
    await cases.record_satisfaction(filed[0], "openid-0", "满意")
    await cases.refresh_stats()
    yield f"http://127.0.0.1:{port}", filed, cases
    await runner.cleanup()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        await chromium.close()


async def canvas_painted(page, selector: str) -> int:
    """How many non-transparent pixels a chart canvas has (0 means nothing was drawn)."""
    return await page.eval_on_selector(
        selector,
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""",
    )


async def test_console_dashboard_and_progress_in_chromium(server, browser):
    base, codes, cases = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    await page.goto(f"{base}/console/")
    await page.fill("input[name=username]", "boss")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_url(f"{base}/console/cases")
    rows = page.locator("#case-list tbody tr")
    assert await rows.count() == 6
    assert "王**" in await page.inner_text("#case-list")
    await page.screenshot(path=str(ARTIFACTS / "cases.png"), full_page=True)

    await page.select_option("select[name=risk]", "red")
    await page.click("#filters button[type=submit]")
    assert await page.locator("#case-list tbody tr").count() == 2

    target = codes[4]
    await page.goto(f"{base}/console/cases/{target}")
    assert await page.inner_text("#case-status") == "受理"
    await page.click("#form-route button[type=submit]")
    await page.wait_for_selector(".flash")
    assert await page.inner_text("#case-status") == "分流"
    await page.check("#form-whistle input[value='公安局']")
    await page.fill("#form-whistle input[name=reason]", "多部门联动")
    await page.click("#form-whistle button[type=submit]")
    await page.wait_for_selector("#tasks")
    await page.fill("#form-escalate input[name=reason]", "群众反映强烈")
    await page.click("#form-escalate button[type=submit]")
    await page.wait_for_selector("#documents .doc-reminder")
    timeline = await page.inner_text("#timeline")
    for step in ("登记受理", "分流", "吹哨报到", "提醒函"):
        assert step in timeline
    await page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)

    await page.goto(f"{base}/dashboard/")
    await page.wait_for_selector("#dashboard[data-ready='1']", timeout=15000)
    assert await page.inner_text("#kpi-total") == "6"
    assert await page.inner_text("#kpi-resolution") == "100.0%"
    for chart in ("type", "month", "region", "risk", "organisation"):
        assert await canvas_painted(page, f"#chart-{chart}") > 500, chart
    await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    await page.goto(f"{base}/console/audit")
    assert "校验通过" in await page.inner_text("#audit-result")
    assert errors == []

    phone = await browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    await phone.goto(f"{base}/h5/progress")
    await phone.fill("#lookup input[name=code]", codes[0].lower())
    await phone.click("#lookup button")
    await phone.wait_for_selector("#steps")
    steps = await phone.locator("#steps li b").all_inner_texts()
    api = await cases.progress(codes[0])
    assert steps == [s["name"] for s in api["steps"]] == ["受理", "分流", "反馈"]
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # no sideways scrolling on a phone
    await phone.screenshot(path=str(ARTIFACTS / "progress.png"), full_page=True)
    for name in ("cases", "case", "dashboard", "progress"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
