"""From a resident's first WeChat message to a delivered agreement, through pages only
(issue #19 point 7), in headless Chromium at phone size.

The resident files by talking to the official account: the test posts signed XML to
/wechat/mp exactly as WeChat's server would (that is the resident's "page"); the fake WeChat
server (tests/fakes/wechat_server.py) answers the app's calls to WeChat. Staff accept and
route on the console; a clerk proposes a mediator from the case page; both parties confirm on
their H5 booking pages (links copied from the case page); the mediator accepts in the
calendar; the mediator (case page, "进入调解室") and both parties (booking page, "进入调解室")
meet in the room with Chromium's fake camera; then the agreement editor, both parties sign,
the mediator signs, the seal keeper seals, the mediator delivers, the parties open it, and
the judicial package downloads.

What the test does besides clicking: it makes the staff accounts and the mediator registry
(an administrator's setup), reads one-time codes from the fake SMS sender and links from the
fake WeChat, and moves the room's clock to the booked hour (instead of waiting for it). No
step calls the API: the browser pages do. A phone-size screenshot of each page goes to
$FENGQIAO_ARTEFACTS/case-to-delivery/ (test-artifacts/ otherwise).
"""

from __future__ import annotations

import dataclasses
import io
import os
import socket
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import xmltodict
from aiohttp import web

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.mediation_room import routes as room_routes
from tests.bot import wx
from tests.conftest import NO_BROWSER, REPO, WECHAT_UA, make_settings
from tests.fakes.resident import Resident
from tests.fakes.tencent_sms import FakeTencentSms
from tests.fakes.wechat_server import FakeWeChat
from tests.mediation_room.browsers import CHROMIUM_FLAGS, Person
from tests.web.sessions import PASSWORD, staff_session

CHROMIUM = "/usr/bin/chromium"
# The parties open the links WeChat sent them in WeChat's browser (WECHAT_UA).
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN", "user_agent": WECHAT_UA}
ORG = "县劳资纠纷调解室"
APPLICANT_PHONE = "13900000001"
RESPONDENT_PHONE = "13800000002"
MEDIATOR_PHONE = "13700000003"
SEALER_PHONE = "13600000009"
STORY = "包工头刘某拖欠我三个月工资一万八千元，多次讨要没有结果，想请中心调解。"
ORGANISATIONS = f"""code,name,kind,region,address,phone
LAB,{ORG},professional,城关镇,县综治中心二楼201,0000-1002
"""
MEDIATORS = """code,name,organisation,title,skills,languages,region,capacity,subsidy_yuan,username,hours,rating
T001,王调解,LAB,专业调解员,labor;debt;contract;neighbor;other,普通话,城关镇,8,200,m1,"mon-sun 07:00-22:00",4.7
"""  # noqa: E501

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(NO_BROWSER, reason="Debian's chromium not installed"),
]


def artefacts() -> Path:
    root = os.environ.get("FENGQIAO_ARTEFACTS")
    path = (Path(root) if root else REPO / "test-artifacts") / "case-to-delivery"
    path.mkdir(parents=True, exist_ok=True)
    return path


ART = artefacts()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmsInbox:
    """What reached each phone through the fake Tencent SMS: the codes and the links."""

    def __init__(self, fake: FakeTencentSms) -> None:
        self.fake = fake

    def _params(self, phone: str, template: str) -> list[list[str]]:
        return [m["TemplateParamSet"] for m in self.fake.sent
                if m["PhoneNumberSet"] == ["+86" + phone] and m["TemplateId"] == template]

    def last_code(self, phone: str) -> str:
        return self._params(phone, self.fake.template_id)[-1][0]

    def links(self) -> list[str]:
        return [m["TemplateParamSet"][1] for m in self.fake.sent
                if m["TemplateId"] == self.fake.link_template_id]


@pytest.fixture
async def served(tmp_path):
    fake = FakeWeChat(accounts={wx.APPID: wx.MP_SECRET})
    await fake.start()
    sms = await FakeTencentSms().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(tmp_path, public_url=base)
    settings = dataclasses.replace(settings, wechat_token=wx.TOKEN, wechat_appid=wx.APPID,
                                   wechat_secret=wx.MP_SECRET, wechat_api_base=fake.base_url,
                                   # SMS as a centre configures it: codes, and links for a
                                   # party without WeChat (served at their proved phone)
                                   sms_provider="tencent", sms_secret_id=sms.secret_id,
                                   sms_secret_key=sms.secret_key, sms_app_id=sms.app_id,
                                   sms_sign_name="枫桥调解", sms_template_id=sms.template_id,
                                   sms_link_template_id=sms.link_template_id,
                                   sms_endpoint=sms.url)
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield app, base, fake, SmsInbox(sms)
    await runner.cleanup()
    await fake.close()
    await sms.close()


class Steps:
    """The pages of the path, in order; `step` names the one running, for the failure."""

    def __init__(self, app: Any, base: str, browser: Any) -> None:
        self.app, self.base, self.browser = app, base, browser
        self.step = ""
        self.gaps: list[str] = []
        self.shots = 0

    async def shot(self, page: Any, name: str) -> None:
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name}: {page.url} is {width}px wide at 390px"
        self.shots += 1
        await page.screenshot(path=str(ART / f"{self.shots:02d}-{name}.png"), full_page=True)

    async def phone(self, **extra: Any) -> Any:
        context = await self.browser.new_context(**PHONE, **extra)
        return await context.new_page()

    async def sign_in(self, username: str) -> Any:
        page = await self.phone()
        await page.goto(f"{self.base}/console/login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", PASSWORD)
        async with page.expect_navigation():
            await page.click("button[type=submit]")
        return page


async def submit(page: Any, target: Any) -> None:
    async with page.expect_navigation():
        await (page.click(target) if isinstance(target, str) else target.click())


async def say(base: str, user: str, text: str, n: int) -> str:
    """What WeChat's server does with a resident's message: signed XML to /wechat/mp."""
    async with aiohttp.ClientSession() as http, http.post(
        f"{base}/wechat/mp", params=wx.signed(), data=wx.text(user, text, 900_000 + n)
    ) as resp:
        assert resp.status == 200
        return str(xmltodict.parse(await resp.text())["xml"]["Content"])


async def draw(page: Any, selector: str) -> None:
    pad = page.locator(selector)
    await pad.scroll_into_view_if_needed()
    box = await pad.bounding_box()
    x, y = box["x"], box["y"]
    await page.mouse.move(x + 20, y + 100)
    await page.mouse.down()
    for dx, dy in [(60, 40), (110, 110), (160, 50), (220, 120), (300, 60)]:
        await page.mouse.move(x + dx, y + dy, steps=6)
    await page.mouse.up()


async def test_a_case_from_first_message_to_delivery(served) -> None:
    from playwright.async_api import async_playwright

    app, base, fake, sms = served
    await staff_session(app, "chuangkou", "李窗口", role="staff")
    await staff_session(app, "m1", "王调解", role="mediator", organisation=ORG,
                        phone=MEDIATOR_PHONE)
    await staff_session(app, "yinzhang", "印章管理员", role="seal_keeper", phone=SEALER_PHONE)
    registry = app[keys.BOOKING].registry
    await registry.import_csv("organisations", ORGANISATIONS, "admin")
    assert not (await registry.import_csv("mediators", MEDIATORS, "admin")).errors
    app[keys.DOCUMENTS].otp.resend_after = 0

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        s = Steps(app, base, browser)
        try:
            await walk(s, app, base, fake, sms)
        except BaseException as e:
            raise AssertionError(f"step «{s.step}» failed: {e}") from e
        finally:
            await browser.close()


async def walk(s: Steps, app: Any, base: str, fake: FakeWeChat, sms: Any) -> None:  # noqa: PLR0915
    # 1. The resident tells the official account what happened and gets a case code.
    s.step = "居民在公众号申请调解"
    resident = Resident(description=STORY, name="王建国", phone=APPLICANT_PHONE)
    said: str | None = resident.opening()
    n = 0
    while said is not None:
        n += 1
        said = resident.answer(said, await say(base, "o-resident-wang", said, n))
    code = resident.code
    assert code

    # 2. The window clerk opens it, adds the respondent, routes it to the mediator.
    s.step = "窗口受理、补充被申请人并分流"
    clerk = await s.sign_in("chuangkou")
    await clerk.goto(f"{base}/console/cases/{code}")
    assert STORY[:10] in await clerk.inner_text("main")
    # The bot filed the respondent as the resident named them; the clerk completes both.
    assert await clerk.locator("li.party").count() == 2
    for n, (name, phone, id_number, address) in enumerate([
            ("王建国", APPLICANT_PHONE, "110101199001011237", "县城关镇锦绣家园1号"),
            ("刘某", RESPONDENT_PHONE, "330681198505052345", "县城关镇二号")]):
        party = clerk.locator("li.party").nth(n)
        await party.locator("summary").click()
        await party.locator("input[name=name]").fill(name)
        await party.locator("input[name=phone]").fill(phone)
        await party.locator("input[name=id_number]").fill(id_number)
        await party.locator("input[name=address]").fill(address)
        await submit(clerk, party.get_by_role("button", name="保存"))
        assert "已保存" in await clerk.inner_text(".flash")
    form = clerk.locator("#form-route")
    await form.locator("select[name=organisation]").select_option(label=ORG)
    await form.locator("input[name=assignee]").fill("m1")
    await submit(clerk, form.locator("button[type=submit]"))
    await s.shot(clerk, "clerk-case-routed")

    # 3. The clerk proposes the recommended mediator for a video session from the case page.
    s.step = "窗口从案件页推荐调解员并预约"
    assert "本案尚未预约调解" in await clerk.inner_text("#bookings")
    await submit(clerk, "#book-mediator")
    await clerk.check("#remote")
    offer = clerk.get_by_role("button", name="向当事人提供此调解员的时间").first
    await offer.wait_for()
    await s.shot(clerk, "clerk-booking-page")
    await offer.click()
    await clerk.wait_for_selector("text=已向当事人发送可选时间")
    await clerk.goto(f"{base}/console/cases/{code}")
    links = await clerk.eval_on_selector_all("#bookings input.booking-link",
                                             "els => els.map(e => e.value)")
    assert len(links) == 2, links
    assert "微信通知" in await clerk.inner_text("#bookings")  # the applicant, on WeChat
    await s.shot(clerk, "clerk-case-booking-proposed")

    # 4. Both parties confirm a time on their booking pages; the mediator accepts.
    s.step = "双方在预约页确认时间"
    parties = []
    for n, link in enumerate(links):
        page = await s.phone(permissions=["camera", "microphone"])
        await page.goto(link)
        await page.wait_for_selector("#choose:not([hidden])")
        await page.check("#consent")
        await page.click("#confirm")
        await page.wait_for_selector("#done:not([hidden])")
        await s.shot(page, f"party{n + 1}-booking-confirmed")
        parties.append(page)
    s.step = "调解员在日程中接受预约"
    mediator = await s.sign_in("m1")
    await mediator.goto(f"{base}/console/booking/")
    await mediator.wait_for_selector("#week .event")
    assert "我的调解 · 王调解" in await mediator.inner_text("#who")
    await mediator.click("#week .event")
    await mediator.wait_for_selector("#detail:not([hidden])")
    await mediator.click("#accept")
    await mediator.wait_for_selector("#d-status:has-text('已确认')")
    await s.shot(mediator, "mediator-calendar-accepted")
    assert await mediator.get_attribute("#d-case", "href") == f"/console/cases/{code}#bookings"

    # 5. At the booked hour the mediator opens the room from the case page, the parties from
    # their booking pages.
    s.step = "到预约时间，三方进入视频调解室"
    starts = await clerk_start(clerk, base, code)
    app[room_routes.REGISTRY_KEY].clock = lambda: starts
    await mediator.goto(f"{base}/console/cases/{code}")
    enter = mediator.locator("#bookings a.button", has_text="进入调解室")
    await s.shot(mediator, "mediator-case-room-open")
    room_url = await enter.get_attribute("href")
    await mediator.goto(str(room_url))
    med = Person("mediator", mediator, ART)
    await mediator.get_by_role("button", name="同意并进入").click()
    people = []
    for n, page in enumerate(parties):
        await page.reload()
        await page.wait_for_selector("#room-go:not([hidden])")
        await s.shot(page, f"party{n + 1}-booking-room-open")
        async with page.expect_navigation():
            await page.click("#room-go")
        await page.get_by_role("button", name="同意并进入").click()
        await page.wait_for_selector("#waiting-room:not([hidden])")
        assert await page.is_hidden("#rec")  # nothing is recorded in the waiting room
        people.append(Person(f"party{n + 1}", page, ART))
    ids = await mediator.eval_on_selector_all(
        "#roster li[data-participant^='party:']", "els => els.map(e => e.dataset.participant)")
    assert len(ids) == 2, ids
    for pid in ids:
        await med.wait_state(pid, "waiting")
        await med.click_action(pid, "admit")
    await med.sees(set(ids), timeout=30)
    me = await mediator.get_attribute("#roster li[data-participant^='mediator:']",
                                      "data-participant")
    for p, pid in zip(people, ids, strict=True):
        await p.sees({x for x in ids if x != pid} | {me}, timeout=30)
    for who, p in (("mediator", med), *((p.name, p) for p in people)):
        await s.shot(p.page, f"{who}-in-room")
    for p in (med, *people):
        assert await p.page.is_visible("#rec")  # admitted: recorded, and told so
    for page in parties:
        await page.goto("about:blank")
    await mediator.goto("about:blank")

    # 6. The mediator drafts, completes and issues the agreement.
    s.step = "调解员起草、编辑并发出调解协议"
    await mediator.goto(f"{base}/console/cases/{code}")
    await submit(mediator, "#form-draft button")
    await mediator.wait_for_url("**/console/agreements/**")
    doc = mediator.url.rsplit("/", 1)[1].split("#")[0]
    await mediator.fill("#disputed_matters", "拖欠工资的数额和支付期限。")
    resp = mediator.locator("textarea[name=responsibility]")
    await resp.nth(0).fill("无")
    await resp.nth(1).fill("未按时支付工资，应承担支付责任。")
    row = mediator.locator("#obligation-0")
    await row.locator("select[name=ob_obligor]").select_option(label="刘某")
    await row.locator("select[name=ob_obligee]").select_option(label="王建国")
    await row.locator("input[name=ob_description]").fill("拖欠工资")
    await row.locator("input[name=ob_amount]").fill("18,000")
    await row.locator("select[name=ob_method]").select_option(label="银行转账")
    await row.locator("input[name=ob_holder]").fill("王建国")
    await row.locator("input[name=ob_bank]").fill("中国农业银行城关支行")
    await row.locator("input[name=ob_number]").fill("6228 4800 0000 0000 001")
    await row.locator("input[name=ob_deadline]").fill("2099-12-31")
    await row.locator("input[name=ob_default]").fill("逾期未付的，王建国可就未付款项申请强制执行。")
    await submit(mediator, "#save")
    problems = await mediator.query_selector_all(".problems")
    assert not problems, [await p.inner_text() for p in problems]
    await s.shot(mediator, "mediator-agreement-complete")
    await submit(mediator, "#form-issue button")
    await mediator.wait_for_selector("#signing")
    sign_links = await mediator.eval_on_selector_all("input.link", "els => els.map(e => e.value)")
    assert len(sign_links) == 2, sign_links
    await s.shot(mediator, "mediator-agreement-issued")

    # 7. Both parties sign on their phones and accept electronic service.
    served_parties: list[int] = []
    for n, (link, phone) in enumerate(zip(sign_links, (APPLICANT_PHONE, RESPONDENT_PHONE),
                                          strict=True)):
        s.step = f"当事人{n + 1}签署协议"
        page = await s.phone()
        await page.goto(link)
        await page.wait_for_selector("#signbox:not([hidden])")
        await page.click("#send")
        await page.wait_for_selector("text=验证码已发送至")
        await page.fill("#otp", sms.last_code(phone))
        await draw(page, "#pad")
        await page.click("#submit")
        await page.wait_for_selector("text=签署成功！您已完成签署。")
        await s.shot(page, f"party{n + 1}-signed")
        s.step = f"当事人{n + 1}同意电子送达"
        # The applicant wrote on WeChat; the respondent, entered by the clerk, has only the
        # phone their signing code went to: the consent names that channel.
        assert ("短信" in await page.inner_text("#consenttext")) == (n == 1)
        await page.click("#consent")
        done = page.locator("text=已确认电子送达地址").or_(page.locator(".error"))
        await done.first.wait_for(timeout=10000)
        assert await page.locator("text=已确认电子送达地址").count(), await page.content()
        served_parties.append(n)
        await s.shot(page, f"party{n + 1}-consented")
        await page.context.close()

    # 8. The mediator signs; the seal keeper seals.
    s.step = "调解员签名"
    await mediator.reload()  # the page the mediator left open after issuing
    await submit(mediator, "#mediator-code")
    await mediator.fill("#form-sign input[name=code]", sms.last_code(MEDIATOR_PHONE))
    await draw(mediator, "#pad")
    await submit(mediator, "#form-sign button[type=submit]")
    assert "您已签署协议" in await mediator.inner_text(".flash")
    s.step = "印章管理员盖章"
    sealer = await s.sign_in("yinzhang")
    await sealer.goto(f"{base}/console/agreements/{doc}")
    await submit(sealer, "#seal-code")
    await sealer.fill("#form-seal input[name=code]", sms.last_code(SEALER_PHONE))
    await submit(sealer, "#form-seal button[type=submit]")
    assert "已加盖印章" in await sealer.inner_text(".flash")
    await s.shot(sealer, "sealer-sealed")

    # 9. Delivery; both parties open it from the WeChat message; the judicial package.
    s.step = "电子送达"
    await mediator.reload()
    await submit(mediator, "#form-deliver button")
    assert "已电子送达" in await mediator.inner_text(".flash")
    await s.shot(mediator, "mediator-delivered")
    s.step = "双方打开送达的协议"
    sent = [str(m) for m in fake.received("/cgi-bin/message/custom/send")
            + fake.received("/cgi-bin/message/template/send")] + sms.links()
    delivery = sorted({u for m in sent for u in _urls(m) if "/h5/delivery/" in u})
    assert len(delivery) == len(served_parties), f"{len(delivery)} delivery links were sent"
    for n, url in enumerate(delivery):
        page = await s.phone()
        await page.goto(url)
        await page.click("#ack")
        await page.wait_for_selector("text=已签收，签收时间已记入送达证明。")
        assert not await page.is_visible("#ack")  # signed for: not offered again
        assert "签收时间" in await page.inner_text("#times")
        await s.shot(page, f"party{n + 1}-delivery-opened")
        await page.context.close()
    s.step = "下载司法确认材料"
    async with mediator.expect_download() as waiting:
        await mediator.click("#judicial-package")
    package = await (await waiting.value).path()
    with zipfile.ZipFile(io.BytesIO(package.read_bytes())) as zf:
        assert any(n.endswith(".pdf") for n in zf.namelist())
    await s.shot(mediator, "mediator-judicial-package")
    assert not s.gaps, "；".join(s.gaps)


async def clerk_start(page: Any, base: str, code: str) -> datetime:
    """The confirmed booking's start, as the case page's calendar link shows it."""
    await page.goto(f"{base}/console/cases/{code}")
    text = await page.inner_text("#bookings")
    assert "已确认" in text, text
    booking = await page.get_attribute("#bookings li.booking", "id")
    assert booking
    # The time on the page is for people; the booking page's data carries the ISO time.
    await page.goto(f"{base}/console/booking/{booking.split('-')[1]}")
    await page.wait_for_selector("#detail:not([hidden])")
    iso = await page.evaluate("document.getElementById('d-when').dataset.start")
    return datetime.fromisoformat(iso)


def _urls(message: str) -> list[str]:
    import re

    return re.findall(r"https?://[^\s'\"]+", message)
