"""Probe #15: the error page's heading says what is wrong with a link. A room link before its
window says when the room opens (not "无法打开" or "链接无效"); the web-view's room page before
opening is headed 调解室尚未开放 (not "找不到这个页面"); an expired link says 已过期."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.mediation_room.tokens import issue_join_token
from fengqiao.tokens import signer_for
from fengqiao.web.kit.requester import wxa_session_key
from tests.conftest import make_settings
from tests.web.docs_helpers import make_case

HTML = {"Accept": "text/html"}


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


def heading_and_message(page: str) -> tuple[str, str]:
    heading = re.search(r"<h1>(.*?)</h1>", page)
    message = re.search(r'role="alert">(.*?)<', page)
    assert heading and message, page
    return heading.group(1), message.group(1)


async def test_a_room_link_before_its_window_says_when_the_room_opens(client):
    secret = client.app[keys.SETTINGS].secret
    opens = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    token = issue_join_token(secret, "R-early", "1", "party_a", "party:1", opens,
                             opens + timedelta(hours=2))
    resp = await client.get(f"/h5/room/R-early?t={token}", headers=HTML)
    heading, message = heading_and_message(await resp.text())
    local = opens.astimezone(ZoneInfo("Asia/Shanghai"))
    assert heading == "调解室尚未开放"
    assert f"{local.month}月{local.day}日 {local:%H:%M} 开放" in message
    assert "无效" not in message


async def test_an_expired_link_says_expired(client):
    signer = signer_for(client.app[keys.SETTINGS].secret)
    expired = signer.issue("sign", case_id=1, party_id=1, expires_at=time.time() - 60)
    resp = await client.get(f"/h5/sign/FQ-DOC?t={expired}", headers=HTML)
    heading, message = heading_and_message(await resp.text())
    assert heading == "链接已过期" and "已过期" in message and "无效" not in message
    forged = expired[:-4] + ("AAAA" if not expired.endswith("AAAA") else "BBBB")
    heading, _ = heading_and_message(await (await client.get(
        f"/h5/sign/FQ-DOC?t={forged}", headers=HTML)).text())
    assert heading == "链接无效"


async def test_the_web_views_room_page_before_opening(client):
    app = client.app
    case = await make_case(app, suffix="rm")
    await app[keys.KV].set(wxa_session_key("session-rm"), "o-app-rm", ttl=3600)
    resp = await client.post("/api/v1/me/ticket", headers={"Authorization": "Bearer session-rm"})
    ticket = (await resp.json())["ticket"]
    path = f"/h5/me/cases/{case.code}/room"
    resp = await client.get(f"{path}?ticket={ticket}", headers=HTML)
    assert resp.status == 404
    heading, message = heading_and_message(await resp.text())
    assert heading == "调解室尚未开放" and "调解室尚未开放" in message


async def test_a_missing_page_is_still_a_missing_page(client):
    resp = await client.get("/h5/nothing-here", headers=HTML)
    assert resp.status == 404
    assert heading_and_message(await resp.text())[0] == "找不到这个页面"
