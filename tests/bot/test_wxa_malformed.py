"""Malformed tokens and bodies at the mini-program endpoints: a 4xx JSON error, never a 500."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.bot.test_wxa import login


async def raw_post(client, path: str, headers: bytes, body: bytes) -> tuple[int, bytes]:
    """POST with bytes exactly as given (an HTTP client would clean or refuse them)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    ).encode()
    writer.write(head + headers + b"\r\n" + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer \xff\xfe\xfd\r\n",
        b"Authorization: Bearer \xed\xa0\x80abc\r\n",  # a UTF-8-encoded lone surrogate
        b"Authorization: Bearer \xe4\xbd\xa0\xe5\xa5\xbd\r\n",  # valid UTF-8, not a token
        b"Authorization: Bearer abc%2Fdef\r\n",
        b"Authorization: Bearer " + b"a" * 257 + b"\r\n",
    ],
)
async def test_malformed_session_tokens_are_401_json(bot_client, intake, header):
    client = await bot_client()
    status, body = await raw_post(client, "/api/v1/intake/messages", header, b'{"text": "hi"}')
    assert status == 401
    assert json.loads(body)["error"]["code"] == "unauthorized"
    assert intake.calls == []


SURROGATES = [
    b'{"text": "\\ud800"}',
    b'{"text": "abc\\udfff def"}',
    b'{"text": "ok", "extra": ["\\ud83d"]}',
    b'{"text": "\\ud83d\\ude00 ok"}',  # a proper pair: allowed (see below)
]


@pytest.mark.parametrize("body", SURROGATES[:3])
async def test_lone_surrogates_in_a_message_are_400_json(bot_client, wechat_fake, intake, body):
    client = await bot_client()
    token = await login(client, wechat_fake)
    header = f"Authorization: Bearer {token}\r\n".encode()
    status, answer = await raw_post(client, "/api/v1/intake/messages", header, body)
    assert status == 400
    assert json.loads(answer)["error"]["code"] == "bad_json"
    assert intake.calls == []


async def test_a_surrogate_pair_is_an_emoji_and_goes_through(bot_client, wechat_fake, intake):
    client = await bot_client()
    token = await login(client, wechat_fake)
    header = f"Authorization: Bearer {token}\r\n".encode()
    status, answer = await raw_post(client, "/api/v1/intake/messages", header, SURROGATES[3])
    assert status == 200
    assert json.loads(answer)["reply"] == "收到：😀 ok"


@pytest.mark.parametrize(
    "body", [b'{"code": "\\udc80"}', b'{"code": "ab\\ud800cd"}', b'{"code": "\xff\xfe"}']
)
async def test_lone_surrogates_or_bad_utf8_in_a_login_are_400_json(bot_client, wechat_fake, body):
    client = await bot_client()
    status, answer = await raw_post(client, "/api/v1/auth/wxa-login", b"", body)
    assert status == 400
    assert json.loads(answer)["error"]["code"] == "bad_json"
    assert not [c for c in wechat_fake.calls if c.path == "/sns/jscode2session"]
