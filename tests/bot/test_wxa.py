"""Mini-program login and intake messages over the JSON API."""

from __future__ import annotations

import hashlib

import pytest
from aiohttp.test_utils import make_mocked_request

from fengqiao import keys
from fengqiao.bot.limits import BotConfig
from fengqiao.settings import Settings
from fengqiao.web.kit.openapi import build_spec
from fengqiao.web.kit.requester import BadCredential, Resident, resolve
from tests.bot import wx
from tests.bot.conftest import PROMPT


async def login(client, wechat_fake, code="code-1", openid="wxa-o-1") -> str:
    wechat_fake.js_codes[code] = openid
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": code})
    assert resp.status == 200
    body = await resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    return body["token"]


async def test_login_gives_a_token_that_maps_to_the_openid(bot_client, wechat_fake):
    client = await bot_client()
    wechat_fake.js_codes["code-1"] = "wxa-o-1"
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": "code-1"})
    body = await resp.json()
    assert set(body) == {"token", "token_type", "expires_in"}  # never session_key
    (call,) = [c for c in wechat_fake.calls if c.path == "/sns/jscode2session"]
    assert call.query == {
        "appid": wx.WXA_APPID,
        "secret": wx.WXA_SECRET,
        "js_code": "code-1",
        "grant_type": "authorization_code",
    }
    kv = client.server.app[keys.KV]
    # Only a hash of the token is kept.
    assert await kv.get("wxa:session:" + body["token"]) is None
    stored = await kv.get("wxa:session:" + hashlib.sha256(body["token"].encode()).hexdigest())
    assert stored == b"wxa-o-1"


async def test_message_runs_the_wxa_dialog(bot_client, wechat_fake, intake):
    client = await bot_client()
    token = await login(client, wechat_fake)
    resp = await client.post(
        "/api/v1/intake/messages",
        json={"text": "  工资被拖欠  "},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status == 200
    assert await resp.json() == {
        "reply": "收到：工资被拖欠",
        "state": "describe",
        "case_code": None,
        "prompt": PROMPT,
    }
    assert intake.calls == [("text", "wxa", "wxa-o-1", "工资被拖欠")]


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer nope", "Basic abc", "bearer " + "x" * 300]
)
async def test_unknown_or_missing_token_is_401_json(bot_client, intake, header):
    client = await bot_client()
    headers = {"Authorization": header} if header else {}
    resp = await client.post("/api/v1/intake/messages", json={"text": "hi"}, headers=headers)
    assert resp.status == 401
    body = await resp.json()
    assert body["error"]["code"] in ("unauthorized", "login_required")
    assert body["error"]["message"]
    assert intake.calls == []


async def test_invalid_login_code_is_401_and_wechat_down_is_503(bot_client, wechat_fake):
    client = await bot_client()
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": "never-issued"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "invalid_code"
    wechat_fake.js_codes["c2"] = "o2"
    client.server.app[keys.WXA].backoff = (0.01, 0.01, 0.01)
    wechat_fake.fail("/sns/jscode2session", -1, times=10)
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": "c2"})
    assert resp.status == 503
    assert (await resp.json())["error"]["code"] == "wechat_unavailable"


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"code": 5}', b'{"code": ""}', b"{}"])
async def test_bad_login_bodies_are_400(bot_client, wechat_fake, body):
    client = await bot_client()
    resp = await client.post(
        "/api/v1/auth/wxa-login", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert "error" in await resp.json()
    assert [c for c in wechat_fake.calls if c.path == "/sns/jscode2session"] == []


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "   "}, {"text": 3}])
async def test_bad_messages_are_400(bot_client, wechat_fake, intake, payload):
    client = await bot_client()
    token = await login(client, wechat_fake)
    resp = await client.post(
        "/api/v1/intake/messages", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 400
    assert intake.calls == []


async def test_too_long_message_is_400(bot_client, wechat_fake, intake):
    client = await bot_client(BotConfig(max_text_chars=10))
    token = await login(client, wechat_fake)
    resp = await client.post(
        "/api/v1/intake/messages",
        json={"text": "长" * 11},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "text_too_long"


async def test_per_user_and_per_ip_limits_are_429_json(bot_client, wechat_fake, intake):
    config = BotConfig(
        user_messages_per_minute=2, ip_requests_per_minute=5, clock=lambda: 1_700_000_010.0
    )
    client = await bot_client(config)
    token = await login(client, wechat_fake)  # 1 request from this address
    headers = {"Authorization": f"Bearer {token}"}
    statuses = []
    for _ in range(3):
        resp = await client.post("/api/v1/intake/messages", json={"text": "a"}, headers=headers)
        statuses.append(resp.status)
    assert statuses == [200, 200, 429]
    assert (await resp.json())["error"]["code"] == "too_many_requests"
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    statuses = []
    for i in range(2):
        resp = await client.post("/api/v1/auth/wxa-login", json={"code": f"x{i}"})
        statuses.append(resp.status)
    assert statuses == [401, 429]  # the sixth request from 127.0.0.1 in this minute
    assert int(resp.headers["Retry-After"]) >= 1
    assert len(intake.calls) == 2


async def test_the_door_knows_the_session_as_a_resident(bot_client, wechat_fake):
    client = await bot_client()
    token = await login(client, wechat_fake, openid="wxa-o-9")
    app = client.server.app
    good = make_mocked_request(
        "GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, app=app
    )
    assert await resolve(good) == Resident("wxa-o-9")
    bad = make_mocked_request("GET", "/api/v1/me", headers={"Authorization": "Bearer x"}, app=app)
    found = await resolve(bad)
    assert isinstance(found, BadCredential) and found.code == "unauthorized"


async def test_routes_are_in_the_openapi_spec(bot_client):
    client = await bot_client()
    spec = build_spec(client.server.app)
    assert spec["paths"]["/api/v1/auth/wxa-login"]["post"]["requestBody"]
    assert spec["paths"]["/api/v1/intake/messages"]["post"]["security"] == [{"miniProgram": []}]
    assert "401" in spec["paths"]["/api/v1/intake/messages"]["post"]["responses"]
    assert {"get", "post"} <= set(spec["paths"]["/wechat/mp"])


async def test_refresh_logout_and_a_new_login_on_the_same_device(bot_client, wechat_fake):
    client = await bot_client()

    async def works(token: str) -> int:
        resp = await client.post("/api/v1/intake/messages", json={"text": "你好"},
                                 headers={"Authorization": f"Bearer {token}"})
        return resp.status

    first = await login(client, wechat_fake, code="c-1", openid="wxa-dev")
    assert await works(first) == 200
    resp = await client.post("/api/v1/auth/refresh", json={},
                             headers={"Authorization": f"Bearer {first}"})
    second = (await resp.json())["token"]
    assert resp.status == 200 and second != first
    assert await works(first) == 401 and await works(second) == 200

    # A login from the same device revokes that device's older session, not other devices'.
    async def device_login(code: str) -> str:
        wechat_fake.js_codes[code] = "wxa-dev"
        resp = await client.post("/api/v1/auth/wxa-login", json={"code": code, "device": "p-1"})
        return str((await resp.json())["token"])

    on_phone = await device_login("c-2")
    again = await device_login("c-3")
    assert await works(on_phone) == 401 and await works(again) == 200
    assert await works(second) == 200

    resp = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {again}"})
    assert resp.status == 200 and await works(again) == 401
    bad = await client.post("/api/v1/auth/wxa-login", json={"code": "c-4", "device": "<x>"})
    assert bad.status == 400 and "device" in (await bad.json())["error"]["message"]


async def test_session_lifetime_is_the_setting(bot_client, wechat_fake):
    assert Settings.from_env({"FENGQIAO_WXA_SESSION_HOURS": "2"}).wxa_session_hours == 2
    client = await bot_client(None, wxa_session_hours=2)  # BotConfig from the settings
    wechat_fake.js_codes["c-life"] = "wxa-life"
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": "c-life"})
    body = await resp.json()
    assert body["expires_in"] == 7200
    resp = await client.post("/api/v1/auth/refresh", json={},
                             headers={"Authorization": f"Bearer {body['token']}"})
    assert (await resp.json())["expires_in"] == 7200
