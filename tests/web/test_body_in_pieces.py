"""A JSON body that arrives in several pieces is read whole (the signing page's drawn
signature was refused as "请求格式不正确" when its body came in more than one segment)."""

from __future__ import annotations

import asyncio
import json
from unittest import mock

from aiohttp import streams
from aiohttp.test_utils import make_mocked_request
from pydantic import BaseModel

from fengqiao.web.kit.models import parse_body


class Signed(BaseModel):
    code: str
    signature: str


async def test_a_body_in_two_pieces_is_read_whole():
    body = json.dumps({"code": "123456", "signature": "data:image/png;base64," + "A" * 30000})
    raw = body.encode()
    protocol = mock.Mock(_reading_paused=False)
    payload = streams.StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
    payload.feed_data(raw[:1000])

    async def rest() -> None:
        await asyncio.sleep(0.05)
        payload.feed_data(raw[1000:])
        payload.feed_eof()

    request = make_mocked_request("POST", "/x", headers={"Content-Type": "application/json"},
                                  payload=payload)
    later = asyncio.create_task(rest())
    parsed = await parse_body(request, Signed, limit=100_000)
    await later
    assert parsed.code == "123456" and len(parsed.signature) == len(body) - 35
