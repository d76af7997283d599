"""The console's sign-in form behind the throttle: 429, a Chinese message, Retry-After."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.accounts import create_user
from fengqiao.app import create_app
from tests.web.test_console import sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        await create_user(client.app[keys.DB], "li", PASSWORD, "staff", display_name="李窗口")
        yield client


async def test_sixth_attempt_is_429_with_the_wait_even_with_the_right_password(client):
    for _ in range(5):
        resp = await sign_in(client, password="wrong password!")
        assert resp.status == 401 and "用户名或密码错误" in await resp.text()
    resp = await sign_in(client)
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "900"
    html = await resp.text()
    assert "登录尝试过多，请 15 分钟后再试" in html
    assert 'name="csrf"' in html  # the form is shown again, ready for later
    assert "fq_session" not in resp.cookies or not resp.cookies["fq_session"].value
    assert (await client.get("/console/cases", allow_redirects=False)).status == 303
