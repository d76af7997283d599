"""The resident confirmation page and the mediator's console calendar in headless Chromium."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.accounts import create_user
from fengqiao.app import create_app
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.storage.models import CaseParty
from tests.booking.conftest import MEDIATORS_CSV, ORGS_CSV
from tests.conftest import NO_BROWSER, REPO, make_settings

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
PASSWORD = "mediator-password-1"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium not installed"),
]


async def test_parties_confirm_on_phones_and_the_mediator_accepts_in_the_calendar(tmp_path: Path):
    from playwright.async_api import async_playwright

    app = create_app(make_settings(tmp_path))
    server = TestServer(app)
    async with TestClient(server):
        booking = app[keys.BOOKING]
        await create_user(app[keys.DB], "zhangming", PASSWORD, "mediator", display_name="张明")
        await booking.registry.import_csv("organisations", ORGS_CSV, "test")
        await booking.registry.import_csv("mediators", MEDIATORS_CSV, "test")
        filed = await app[keys.CASES].file_case(
            NewCase(
                description="工地拖欠工资",
                channel="mp",
                actor="test",
                type_code="labor",
                type_name="劳动争议",
                risk="blue",
                region="城关镇",
                applicant=PartyInfo(name="王建国", phone="13800000001", openid="o-a", channel="mp"),
                respondent=PartyInfo(name="刘某", phone="13900000002"),
            )
        )
        async with app[keys.DB].read() as session:
            rows = await session.scalars(select(CaseParty).where(CaseParty.case_id == filed.id))
            links = {
                p.role: booking.links.url(filed.id, p.id).split("fengqiao.test", 1)[1]
                for p in rows.all()
            }
        base = str(server.make_url("")).rstrip("/")
        ARTIFACTS.mkdir(exist_ok=True)

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                # The applicant, from the WeChat notice, picks the first recommended mediator.
                phone0 = await browser.new_page(**PHONE)
                await phone0.goto(base + links["applicant"])
                await phone0.wait_for_selector("#pick:not([hidden])")
                assert "擅长劳动争议" in await phone0.inner_text("#choices")
                assert len(await phone0.query_selector_all("#choices li")) == 3
                await phone0.click("#choices li:first-child button.pick")
                await phone0.wait_for_selector("#choose:not([hidden])")
                view = (await booking.flow.for_case(filed.code))[0]
                assert view["mediator"]["name"] == "张明" and view["status"] == "proposed"
                chosen = view["slots"][1]

                # The respondent, invited by link, picks the second offered time.
                phone = await browser.new_page(**PHONE)
                await phone.goto(base + links["respondent"])
                await phone.wait_for_selector("#choose:not([hidden])")
                assert "劳动争议调解" in await phone.inner_text("#title")
                assert len(await phone.query_selector_all("input[name=slot]")) == 5
                await phone.check(f"input[name=slot][value='{chosen['id']}']")
                await phone.click("#confirm")
                await phone.wait_for_selector("text=请先勾选同意参加调解")
                await phone.check("#consent")
                await phone.click("#confirm")
                await phone.wait_for_selector("#done:not([hidden])")
                assert chosen["when"] in await phone.inner_text("#when")
                await phone.screenshot(path=str(ARTIFACTS / "booking-party.png"), full_page=True)

                # The applicant sees the fixed time and confirms it.
                phone2 = await browser.new_page(**PHONE)
                await phone2.goto(base + links["applicant"])
                await phone2.wait_for_selector("text=对方已选定时间，请确认是否参加")
                await phone2.check("#consent")
                await phone2.click("#confirm")
                await phone2.wait_for_selector("text=您已确认，等待其他当事人和调解员确认。")

                # The mediator opens the week of the session on a phone and accepts it.
                start = datetime.fromisoformat(chosen["starts_at"])
                monday = (start - timedelta(days=start.weekday())).date().isoformat()
                console = await browser.new_page(**PHONE)
                await console.goto(f"{base}/console/booking/")
                assert console.url == f"{base}/console/login?next=/console/booking/"
                await console.fill("input[name=username]", "zhangming")
                await console.fill("input[name=password]", PASSWORD)
                async with console.expect_navigation():
                    await console.click("button[type=submit]")
                resp = await console.goto(f"{base}/console/booking/?week={monday}")
                assert resp is not None and resp.status == 200
                event = console.locator(f".day[data-date='{start.date()}'] .event")
                await event.wait_for()
                assert filed.code in await event.inner_text()
                assert "待确认" in await event.inner_text()
                await event.click()
                await console.wait_for_selector("#detail:not([hidden])")
                await console.click("#accept")
                await console.wait_for_selector("#d-status:text('已确认')")
                await console.locator(
                    f".day[data-date='{start.date()}'] .event.confirmed"
                ).wait_for()
                assert "feeds/" in await console.input_value("#ics")
                await console.screenshot(
                    path=str(ARTIFACTS / "booking-console.png"), full_page=True
                )

                # Back on the phone, the party sees the session confirmed.
                await phone.reload()
                await phone.wait_for_selector(
                    "text=调解已确认，请按时参加。开始前1天和1小时会提醒您。"
                )

            finally:
                await browser.close()

        final = await booking.flow.for_case(filed.code)
        assert final[0]["status"] == "confirmed"
        assert all(p["confirmed"] and p["consented"] for p in final[0]["parties"])


async def test_the_calendar_opens_without_parameters_for_staff_and_unlisted_mediators(
    tmp_path: Path,
):
    """Staff without a registry entry choose a mediator; a mediator whose username is in no
    entry is told what to ask for; neither sees "调解员不存在"."""
    from playwright.async_api import async_playwright

    app = create_app(make_settings(tmp_path))
    server = TestServer(app)
    async with TestClient(server):
        booking = app[keys.BOOKING]
        await create_user(app[keys.DB], "chuangkou", PASSWORD, "staff", display_name="李窗口")
        await create_user(app[keys.DB], "tiaojie", PASSWORD, "mediator", display_name="赵调解")
        await booking.registry.import_csv("organisations", ORGS_CSV, "test")
        await booking.registry.import_csv("mediators", MEDIATORS_CSV, "test")
        base = str(server.make_url("")).rstrip("/")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for username in ("chuangkou", "tiaojie"):
                    page = await browser.new_page(**PHONE)
                    await page.goto(f"{base}/console/login?next=/console/booking/")
                    await page.fill("input[name=username]", username)
                    await page.fill("input[name=password]", PASSWORD)
                    async with page.expect_navigation():
                        await page.click("button[type=submit]")
                    await page.goto(f"{base}/console/booking/")
                    await page.wait_for_selector("#chooser:not([hidden])")
                    assert await page.is_hidden("#calendar")
                    assert "调解员不存在" not in await page.inner_text("body")
                    if username == "chuangkou":
                        await page.wait_for_selector("#mediators li")
                        assert "请选择要查看的调解员" in await page.inner_text("#chooser")
                        async with page.expect_navigation():
                            await page.click("#mediators a:has-text('张明')")
                        assert "mediator=" in page.url
                        await page.wait_for_selector("#week .day")
                        assert await page.is_hidden("#chooser")
                        assert await page.locator(".msg.error").count() == 0
                        await page.screenshot(
                            path=str(ARTIFACTS / "booking-chooser.png"), full_page=True
                        )
                    else:
                        # A mediator reads only their own calendar: no list, what to ask for.
                        await page.wait_for_selector("#chooser-note:has-text('尚未登记')")
                        note = await page.inner_text("#chooser")
                        assert "尚未登记在调解员名册" in note
                        assert await page.locator("#mediators li").count() == 0
            finally:
                await browser.close()


async def test_staff_book_a_time_arranged_by_phone_from_the_case_booking_page(tmp_path: Path):
    from playwright.async_api import async_playwright

    app = create_app(make_settings(tmp_path))
    server = TestServer(app)
    async with TestClient(server):
        booking = app[keys.BOOKING]
        await create_user(app[keys.DB], "chuangkou", PASSWORD, "staff", display_name="李窗口")
        await booking.registry.import_csv("organisations", ORGS_CSV, "test")
        await booking.registry.import_csv("mediators", MEDIATORS_CSV, "test")
        filed = await app[keys.CASES].file_case(
            NewCase(
                description="工地拖欠工资", channel="mp", actor="test", type_code="labor",
                type_name="劳动争议", risk="blue", region="城关镇",
                applicant=PartyInfo(name="王建国", phone="13800000001"),
                respondent=PartyInfo(name="刘某", phone="13900000002"),
            )
        )
        # An offered time is one the mediator is free at: book the first one by hand.
        first = (await booking.recommender.recommend(filed.code))["mediators"][0]
        free = datetime.fromisoformat(first["first_slot"]) if first.get("first_slot") else None
        base = str(server.make_url("")).rstrip("/")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(**PHONE)
                await page.goto(f"{base}/console/login?next=/console/booking/case/{filed.code}")
                await page.fill("input[name=username]", "chuangkou")
                await page.fill("input[name=password]", PASSWORD)
                async with page.expect_navigation():
                    await page.click("button[type=submit]")
                await page.goto(f"{base}/console/booking/case/{filed.code}")
                assert await page.get_attribute("#back", "href") == (
                    f"/console/cases/{filed.code}#bookings")
                await page.locator("#recs button.book").first.click()
                await page.wait_for_selector("text=请先填写与当事人约定的时间")
                assert free is not None, first
                local = free.astimezone(booking.config.tz).strftime("%Y-%m-%dT%H:%M")
                await page.fill("#fixed", local)
                await page.locator("#recs button.book").first.click()
                await page.wait_for_selector("text=已预约，等待当事人和调解员确认")
                await page.wait_for_selector("#bookings li:has-text('待')")
                await page.screenshot(path=str(ARTIFACTS / "booking-case-fixed.png"),
                                      full_page=True)
            finally:
                await browser.close()
        made = (await booking.flow.for_case(filed.code))[0]
        assert made["status"] == "pending" and made["starts_at"] is not None
        assert datetime.fromisoformat(made["starts_at"]) == free
