import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from fengqiao.cases.outbox import OutboxDispatcher, template_data
from fengqiao.cases.service import CaseService
from fengqiao.storage.models import OutboxMessage, utcnow
from tests.cases.helpers import config_with_templates, resident_case


class FakeWeChatError(Exception):
    def __init__(self, errcode):
        super().__init__(f"errcode {errcode}")
        self.errcode = errcode


class FakeNotifier:
    """Answers like the WeChat client: a msgid for template messages, or raises."""

    def __init__(self, failures=0, errcode=None):
        self.sent = []
        self.failures = failures
        self.errcode = errcode

    async def send_template(self, openid, template_id, data, *, url=None):
        await asyncio.sleep(0)
        if self.errcode is not None:
            raise FakeWeChatError(self.errcode)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("wechat unreachable")
        self.sent.append(("template", openid, template_id, data, url))
        return 1000 + len(self.sent)

    async def send_subscribe(self, openid, template_id, data, *, page=None):
        self.sent.append(("subscribe", openid, template_id, data, page))


@pytest.fixture
def cases(services, tmp_path):
    return CaseService(
        services.db, config_with_templates(tmp_path), public_url="https://fq.example"
    )


async def rows(db):
    async with db.read() as session:
        return (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()


async def test_status_change_reaches_resident_with_code_and_link(cases):
    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    dispatcher = OutboxDispatcher(cases.db, notifier, cases.config)
    assert await dispatcher.run_once() == 1
    kind, openid, template_id, data, url = notifier.sent[0]
    assert (kind, openid, template_id) == ("template", "openid-1", "TPL-MP")
    assert data["keyword1"] == filed.code and data["keyword2"] == "分流"
    assert "县劳资纠纷调解室" in data["remark"]
    assert url == f"https://fq.example/h5/progress?code={filed.code}"
    [row] = await rows(cases.db)
    assert row.status == "sent" and row.msgid == "1001"

    assert await cases.handle_template_event(1001, "success")
    assert not await cases.handle_template_event(999999, "success")
    [row] = await rows(cases.db)
    assert row.delivery == "success"
    detail = await cases.case_detail(filed.code)
    assert detail["notices"][0]["delivery"] == "success"


async def test_failed_send_is_retried_with_backoff(cases):
    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier(failures=2)
    dispatcher = OutboxDispatcher(cases.db, notifier, cases.config)
    now = utcnow()
    await dispatcher.run_once(now=now)
    [row] = await rows(cases.db)
    assert row.status == "pending" and row.attempts == 1 and "unreachable" in row.last_error
    first_delay = row.next_attempt_at - now
    assert await dispatcher.run_once(now=now) == 0  # not due yet
    await dispatcher.run_once(now=row.next_attempt_at + timedelta(seconds=1))
    [row] = await rows(cases.db)
    assert row.attempts == 2 and row.next_attempt_at - now > first_delay  # backing off
    await dispatcher.run_once(now=row.next_attempt_at + timedelta(seconds=1))
    [row] = await rows(cases.db)
    assert row.status == "sent" and row.attempts == 3 and len(notifier.sent) == 1


async def test_permanent_error_stops_retrying(cases):
    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    dispatcher = OutboxDispatcher(cases.db, FakeNotifier(errcode=43004), cases.config)
    await dispatcher.run_once()
    [row] = await rows(cases.db)
    assert row.status == "failed" and row.attempts == 1


async def test_a_crash_mid_send_is_recovered_after_the_lease(cases):
    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    dispatcher = OutboxDispatcher(cases.db, notifier, cases.config)
    now = utcnow()
    claimed = await dispatcher.claim(now=now)  # the process dies before sending
    assert len(claimed) == 1
    assert await dispatcher.run_once(now=now + timedelta(seconds=10)) == 0  # lease holds
    later = now + timedelta(seconds=dispatcher.lease + 1)
    assert await dispatcher.run_once(now=later) == 1
    [row] = await rows(cases.db)
    assert row.status == "sent" and len(notifier.sent) == 1


async def test_two_dispatchers_send_each_notice_once(cases, settings):
    from fengqiao.storage.db import Database

    for n in range(6):
        filed = await cases.file_case(resident_case(n))
        await cases.route(filed.code, "staff:li")
    other_db = Database(settings.effective_database_url)
    try:
        notifier = FakeNotifier()
        a = OutboxDispatcher(cases.db, notifier, cases.config)
        b = OutboxDispatcher(other_db, notifier, cases.config)
        for _ in range(4):
            await asyncio.gather(a.run_once(limit=2), b.run_once(limit=2))
    finally:
        await other_db.dispose()
    assert len(notifier.sent) == 6
    assert len({s[1] for s in notifier.sent}) == 6
    assert {r.status for r in await rows(cases.db)} == {"sent"}


async def test_subscribe_message_uses_one_grant_per_message(cases):
    from fengqiao.cases.service import PartyInfo

    filed = await cases.file_case(
        resident_case(applicant=PartyInfo(name="李四", openid="wxa-user", channel="wxa"))
    )
    # Granted twice for progress (once more than needed), once refused; another kind's id.
    stored = await cases.record_grants(
        "wxa-user", {"TPL-WXA-progress": "accept", "TPL-WXA-booking": "reject"}
    )
    await cases.record_grants("wxa-user", {"TPL-WXA-progress": "accept", "NOT-OURS": "accept"})
    assert stored == 2
    assert (await cases.subscriptions_left("wxa-user"))["progress"] == 2
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    await OutboxDispatcher(cases.db, notifier, cases.config).run_once()
    kind, openid, template_id, data, page = notifier.sent[0]
    assert (kind, openid, template_id) == ("subscribe", "wxa-user", "TPL-WXA-progress")
    assert page == f"pages/progress/index?code={filed.code}"
    assert len(data["thing4"]) <= 20 and len(data["phrase2"]) <= 5
    assert (await cases.subscriptions_left("wxa-user"))["progress"] == 1
    [row] = await rows(cases.db)
    assert row.status == "sent" and row.channel == "wxa" and row.fallback is None


async def test_a_mini_program_only_party_without_a_grant_is_recorded_as_not_reached(cases):
    from fengqiao.cases.service import PartyInfo

    filed = await cases.file_case(
        resident_case(applicant=PartyInfo(name="李四", openid="wxa-only", channel="wxa"))
    )
    await cases.record_grants("wxa-only", {"TPL-WXA-progress": "accept"})
    await cases.route(filed.code, "staff:li")
    await cases.handle(filed.code, "staff:li")
    notifier = FakeNotifier()
    dispatcher = OutboxDispatcher(cases.db, notifier, cases.config)
    await dispatcher.run_once()
    first, second = await rows(cases.db)
    # The one grant carried the first notice; the second has no way to the resident: the
    # mini-program openid is never handed to the official account.
    assert [s[0] for s in notifier.sent] == ["subscribe"]
    assert first.status == "sent"
    assert second.status == "undeliverable" and "订阅消息授权已用完" in second.last_error
    party = (await cases.case_detail(filed.code))["parties"][0]
    assert party["reach"] == ["小程序"] and "订阅消息授权已用完" in party["undelivered"]


async def test_none_left_falls_back_to_the_official_account_of_the_same_person(cases):
    # Met on the official account first; the mini-program login gives the same unionid.
    await cases.link("mp", "openid-1", "union-1")
    filed = await cases.file_case(resident_case())
    assert await cases.link("wxa", "wxa-of-1", "union-1") == await cases.link("mp", "openid-1")
    await cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    await OutboxDispatcher(cases.db, notifier, cases.config).run_once()
    assert [(s[0], s[1]) for s in notifier.sent] == [("template", "openid-1")]
    [row] = await rows(cases.db)
    assert row.status == "sent" and row.channel == "mp" and row.openid == "openid-1"
    assert row.fallback == "小程序→公众号：小程序订阅消息授权已用完"
    party = (await cases.case_detail(filed.code))["parties"][0]
    # The phone the applicant gave reaches them by SMS too (signing codes go there).
    assert party["reach"] == ["小程序", "公众号", "短信"]


async def test_sms_carries_a_notice_when_switched_on_and_the_phone_is_verified(cases, tmp_path):
    from fengqiao.cases.service import PartyInfo

    path = tmp_path / "config" / "notifications.toml"
    path.write_text(path.read_text("utf-8").replace("notices = false", "notices = true"))
    cases = CaseService(cases.db, tmp_path / "config", public_url="https://fq.example")
    filed = await cases.file_case(
        resident_case(applicant=PartyInfo(name="李四", openid="wxa-sms", channel="wxa"))
    )
    await cases.verify_phone("wxa", "wxa-sms", "13912345678")
    await cases.route(filed.code, "staff:li")

    class Sms:
        sent: list[tuple[str, str]] = []

        async def send(self, phone, text):
            self.sent.append((phone, text))

    sms = Sms()
    await OutboxDispatcher(cases.db, FakeNotifier(), cases.config, sms).run_once()
    [(phone, text)] = sms.sent
    assert phone == "13912345678" and filed.code in text and "/h5/progress" in text
    [row] = await rows(cases.db)
    assert row.channel == "sms" and row.fallback == "小程序→短信：小程序订阅消息授权已用完"


async def test_without_template_ids_notices_are_skipped_not_lost(services):
    filed = await services.cases.file_case(resident_case())
    await services.cases.route(filed.code, "staff:li")
    notifier = FakeNotifier()
    await OutboxDispatcher(services.db, notifier, services.cases.config).run_once()
    [row] = await rows(services.db)
    assert row.status == "skipped" and notifier.sent == []


def test_template_data_maps_configured_keywords():
    data = template_data(
        {"code": "keyword1", "status": "keyword2", "time": "keyword3", "remark": "remark"},
        {"code": "FQ", "status_name": "分流", "time": "2026-11-22T04:00:00+00:00", "remark": "r"},
    )
    assert data == {
        "keyword1": "FQ",
        "keyword2": "分流",
        "keyword3": "2026-11-22 12:00",
        "remark": "r",
    }


async def test_a_booking_notice_uses_the_booking_template_and_opens_the_booking(cases):
    from fengqiao.cases.service import PartyInfo

    filed = await cases.file_case(
        resident_case(applicant=PartyInfo(name="李四", openid="wxa-b", channel="wxa"))
    )
    await cases.record_grants("wxa-b", {"TPL-WXA-booking": "accept"})
    async with cases.db.transaction() as session:
        session.add(
            OutboxMessage(
                case_id=filed.id,
                channel="wxa",
                openid="wxa-b",
                kind="booking",
                payload={
                    "code": filed.code,
                    "status_name": "预约调解",
                    "remark": "请点击查看可选时间",
                    "url": "https://fq.example/h5/booking/fq1.tok.sig",
                },
                next_attempt_at=utcnow(),
                dedupe_key="booking:test",
            )
        )
    notifier = FakeNotifier()
    await OutboxDispatcher(cases.db, notifier, cases.config).run_once()
    [(kind, openid, template_id, data, page)] = notifier.sent
    assert (kind, openid, template_id) == ("subscribe", "wxa-b", "TPL-WXA-booking")
    assert page == f"pages/booking/index?code={filed.code}&t=fq1.tok.sig"
    assert (await cases.subscriptions_left("wxa-b"))["booking"] == 0


async def test_a_client_reporting_accept_in_a_loop_stores_a_bounded_number_of_grants(cases):
    from fengqiao.cases.subscriptions import MAX_UNUSED_GRANTS

    for _ in range(MAX_UNUSED_GRANTS + 15):
        await cases.record_grants("wxa-loop", {"TPL-WXA-progress": "accept",
                                               "TPL-WXA-booking": "reject"})
    left = await cases.subscriptions_left("wxa-loop")
    assert left["progress"] == MAX_UNUSED_GRANTS
    # Another resident is not affected by it.
    assert await cases.record_grants("wxa-other", {"TPL-WXA-progress": "accept"}) == 1


async def test_without_wechat_notices_go_to_the_dev_inbox_and_say_so(cases, tmp_path):
    """No WeChat configured: a case notice is written to dev-messages.txt by the documents'
    LogNotifier, like signing and delivery links, and its row is no longer pending."""
    from fengqiao.documents.notify import DEV_INBOX, LogNotifier
    from fengqiao.web.console_texts import NOTICE_STATUS

    filed = await cases.file_case(resident_case())
    await cases.route(filed.code, "staff:li")
    inbox = LogNotifier(inbox=tmp_path / DEV_INBOX)
    assert await OutboxDispatcher(cases.db, None, cases.config).run_once() == 0  # no inbox
    dispatcher = OutboxDispatcher(cases.db, None, cases.config, inbox=inbox)
    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0  # written once
    written = (tmp_path / DEV_INBOX).read_text(encoding="utf-8")
    assert "mp:openid-1\t分流" in written and "县劳资纠纷调解室" in written
    assert f"/h5/progress?code={filed.code}" in written
    [row] = await rows(cases.db)
    assert row.status == "dev_inbox" and row.sent_at is not None
    detail = await cases.case_detail(filed.code)
    assert NOTICE_STATUS[detail["notices"][0]["status"]] == "未配置微信，已写入 dev-messages.txt"
