"""The agreement editor in headless Chromium, through pages only: the mediator drafts from the
case page, saves with a field missing (the problem shows beside it), completes the parties
on the case page and the terms on the agreement page, issues; both parties sign on their H5
pages and consent to e-service; the mediator signs on the console page with a one-time code;
the seal keeper seals with theirs; the mediator delivers and downloads the judicial package.
Phone-size screenshots of the agreement page go to test-artifacts/agreement/."""

from __future__ import annotations

import io
import socket
import zipfile
from typing import Any

import pytest
from aiohttp import web

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.verify import verify_pdf
from tests.conftest import NO_BROWSER, REPO, make_settings
from tests.web.docs_helpers import APPLICANT_PHONE, RESPONDENT_PHONE, SEALER_PHONE, make_case
from tests.web.sessions import PASSWORD, staff_session

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts" / "agreement"
MEDIATOR_PHONE = "13700000003"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium not installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(tmp_path, public_url=base))
    app[keys.RUN_SCHEDULER] = False
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield app, base
    await runner.cleanup()


async def no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide at 390px"


async def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await no_sideways_scroll(page)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def sign_in(browser: Any, base: str, username: str, **context: Any) -> Any:
    page = await (await browser.new_context(**context)).new_page()
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/cases")
    return page


async def draw(page: Any, selector: str) -> None:
    pad = await page.query_selector(selector)
    assert pad is not None
    await pad.scroll_into_view_if_needed()
    box = await pad.bounding_box()
    assert box is not None
    x, y = box["x"], box["y"]
    await page.mouse.move(x + 20, y + 100)
    await page.mouse.down()
    for dx, dy in [(60, 40), (110, 110), (160, 50), (220, 120), (300, 60)]:
        await page.mouse.move(x + dx, y + dy, steps=6)
    await page.mouse.up()


async def party_signs(browser: Any, app: Any, url: str, phone: str) -> None:
    page = await (await browser.new_context(**PHONE)).new_page()
    await page.goto(url)
    await page.wait_for_selector("#signbox:not([hidden])")
    assert "刘某向王建国支付" in await page.inner_text("#text")
    await page.click("#send")
    await page.wait_for_selector("text=验证码已发送至")
    await page.fill("#otp", app[keys.DOCUMENTS].otp.sender.last_code(phone))
    await draw(page, "#pad")
    await page.click("#submit")
    await page.wait_for_selector("text=签署成功！您已完成签署。")
    await page.click("#consent")
    await page.wait_for_selector("text=已确认电子送达地址")
    await page.context.close()


async def submit(page: Any, target: Any) -> None:
    """Click a form's button (a selector or a locator) and wait for the page it leads to."""
    async with page.expect_navigation():
        await (page.click(target) if isinstance(target, str) else target.click())


async def flash(page: Any) -> str:
    return str(await page.inner_text(".flash"))


async def test_mediator_takes_the_agreement_from_draft_to_delivery(served) -> None:
    from playwright.async_api import async_playwright

    app, base = served
    case = await make_case(app)
    # Staff accounts and a case in hand: what the rest of the console already does.
    await staff_session(app, "m1", "王调解", role="mediator",
                        organisation="县劳动争议人民调解委员会", phone=MEDIATOR_PHONE)
    await staff_session(app, "yinzhang", "印章管理员", role="seal_keeper", phone=SEALER_PHONE)
    await app[keys.CASES].route(case.code, "staff:clerk", assignee="m1")
    app[keys.DOCUMENTS].otp.resend_after = 0

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await sign_in(browser, base, "m1", **PHONE)
            await page.goto(f"{base}/console/cases/{case.code}")
            assert "本案尚未起草调解协议" in await page.inner_text("#agreements")
            await submit(page, "#form-draft button")
            await page.wait_for_url("**/console/agreements/**")
            doc = page.url.rsplit("/", 1)[1].split("#")[0]
            # Drafted from the case: its parties and facts; nothing issued yet.
            assert (await page.inner_text("#stage")) == "草稿"
            assert "王建国" in await page.inner_text("#f-parties")
            assert "拖欠王建国工资" in await page.input_value("#facts")
            await shot(page, "1-draft")

            # Terms filled in but the default clause left out: saved, problem shown beside it.
            await page.fill("#disputed_matters", "拖欠工资的数额和支付期限。")
            resp = page.locator("textarea[name=responsibility]")
            await resp.nth(0).fill("无")
            await resp.nth(1).fill("未按时支付工资，应承担支付责任。")
            row = page.locator("#obligation-0")
            await row.locator("select[name=ob_obligor]").select_option(label="刘某")
            await row.locator("select[name=ob_obligee]").select_option(label="王建国")
            await row.locator("input[name=ob_description]").fill("拖欠工资")
            await row.locator("input[name=ob_amount]").fill("18,000")
            await row.locator("select[name=ob_method]").select_option(label="银行转账")
            await row.locator("input[name=ob_holder]").fill("王建国")
            await row.locator("input[name=ob_bank]").fill("中国农业银行城关支行")
            await row.locator("input[name=ob_number]").fill("6228 4800 0000 0000 001")
            await row.locator("input[name=ob_deadline]").fill("2099-12-31")
            await submit(page, "#save")
            assert "还有" in await flash(page)
            problems = await page.inner_text("#obligation-0 .problems")
            assert "违约" in problems
            assert "身份证" in await page.inner_text("#f-parties .problems")
            assert "补全红字" in await page.inner_text("#preview")
            assert await page.query_selector("#form-issue") is None  # not complete: no issue
            await shot(page, "2-problems")

            # The parties' ID numbers and addresses are completed on the case page.
            await page.goto(f"{base}/console/cases/{case.code}")
            for n, (id_number, address) in enumerate([
                    ("110101199001011237", "县城关镇锦绣家园1号"),
                    ("330681198505052345", "县城关镇二号")]):
                party = page.locator("li.party").nth(n)
                await party.locator("summary").click()
                await party.locator("input[name=id_number]").fill(id_number)
                await party.locator("input[name=address]").fill(address)
                await submit(page, party.get_by_role("button", name="保存"))
                assert "已保存" in await flash(page)
            assert "草稿" in await page.inner_text("#agreements")
            await submit(page, "#agreements a.button")
            await page.wait_for_url(f"**/console/agreements/{doc}")
            await page.locator("#obligation-0 input[name=ob_default]").fill(
                "逾期未付的，王建国可就未付款项申请强制执行。")
            await submit(page, "#save")
            assert "内容已齐全" in await flash(page)
            assert await page.query_selector(".problems") is None
            text = await page.inner_text("#preview")
            assert "刘某向王建国支付拖欠工资人民币18,000.00元" in text
            assert "银行转账" in text
            await shot(page, "3-complete")

            await submit(page, "#form-issue button")
            await page.wait_for_selector("#signing")
            assert (await page.inner_text("#stage")) == "待签署"
            assert await page.query_selector("#editor") is None  # no edits after issuing
            links = await page.eval_on_selector_all(
                "input.link", "els => els.map(e => e.value)")
            assert len(links) == 2 and all(f"/h5/sign/{doc}?t=" in u for u in links)
            assert "尚未打开协议" in await page.inner_text("#progress")
            await shot(page, "4-issued")

            # Both parties sign on their phones, in order, and accept e-service.
            await party_signs(browser, app, links[0], APPLICANT_PHONE)
            await party_signs(browser, app, links[1], RESPONDENT_PHONE)

            # The mediator signs on the console page with their one-time code.
            # The signing page opened with the console session (no party link) sends the
            # mediator to the console's page, where their session's form token is.
            await page.goto(f"{base}/h5/sign/{doc}")
            await page.wait_for_url(f"**/console/agreements/{doc}#signing")
            progress = await page.inner_text("#progress")
            assert progress.count("已签署") == 2 and "已确认电子送达" in progress
            await submit(page, "#mediator-code")
            await page.wait_for_selector("text=验证码已发送至 137****0003")
            await page.fill("#form-sign input[name=code]",
                            app[keys.DOCUMENTS].otp.sender.last_code(MEDIATOR_PHONE))
            await page.click("#form-sign button[type=submit]")  # nothing drawn yet
            assert await page.is_visible("#pad-msg")
            await draw(page, "#pad")
            await shot(page, "5-mediator-signs")
            await submit(page, "#form-sign button[type=submit]")
            assert "您已签署协议" in await flash(page)
            assert await page.query_selector("#mediator-sign") is None
            assert await page.query_selector("#seal") is None  # not the mediator's to apply

            # The seal keeper seals: a wrong code first, then theirs.
            sealer = await sign_in(browser, base, "yinzhang", viewport={"width": 1280,
                                                                        "height": 900})
            await sealer.goto(f"{base}/console/agreements/{doc}")
            preview = await sealer.inner_text("#preview")  # their role sees personal data masked
            assert "刘某向王建国支付" in preview and "110101199001011237" not in preview
            await sealer.fill("#form-seal input[name=code]", "000000")
            await submit(sealer, "#form-seal button[type=submit]")
            assert "验证码" in await flash(sealer)
            assert await sealer.is_visible(".flash.flash-error")  # a refusal, shown as one
            await submit(sealer, "#seal-code")
            await sealer.wait_for_selector("text=验证码已发送至 136****0009")
            await sealer.fill("#form-seal input[name=code]",
                              app[keys.DOCUMENTS].otp.sender.last_code(SEALER_PHONE))
            await submit(sealer, "#form-seal button[type=submit]")
            assert "已加盖印章" in await flash(sealer)
            assert (await sealer.inner_text("#stage")) == "已盖章"
            assert await sealer.query_selector("#form-deliver") is None  # not theirs to send
            # ... and the page says whose it is, instead of leaving them looking for it.
            assert "承办调解员" in await sealer.inner_text("#delivery-by-others")
            await sealer.screenshot(path=str(ARTIFACTS / "6-sealed-desktop.png"),
                                    full_page=True)

            # The mediator delivers, then downloads the proofs.
            await page.reload()
            await submit(page, "#form-deliver button")
            assert "已电子送达：王建国、刘某" in await flash(page)
            assert (await page.inner_text("#stage")) == "已送达"
            assert "申请司法确认的期限" in await page.inner_text("#progress")
            await shot(page, "7-delivered")
            async with page.expect_download() as waiting:
                await page.click("#judicial-package")
            package = await (await waiting.value).path()
            with zipfile.ZipFile(io.BytesIO(package.read_bytes())) as zf:
                names = zf.namelist()
            assert any(n.endswith(".pdf") for n in names), names
            href = await page.get_attribute("#service-certificate", "href")
            for link in (href, await page.get_attribute("#sealed-pdf", "href")):
                got = await page.context.request.get(base + str(link))
                assert got.status == 200 and (await got.body()).startswith(b"%PDF")

            await page.goto(f"{base}/console/cases/{case.code}")
            section = await page.inner_text("#agreements")
            assert "已送达" in section and "起草调解协议" not in section
            await shot(page, "8-case-page")
        finally:
            await browser.close()

    # The stored PDF carries the four signatures, in order, and validates.
    pdf = await app[keys.DOCUMENTS].agreements.pdf(doc, _staff())
    ca = app[keys.DOCUMENTS].ca
    result = await verify_pdf(pdf, [ca.trust_root], intermediates=ca.intermediates)
    assert result.ok, result.message
    assert [s.signer_name for s in result.signatures][:3] == ["王建国", "刘某", "王调解"]


def _staff() -> Any:
    from fengqiao.documents.viewer import staff_viewer

    return staff_viewer("m1", "王调解")
