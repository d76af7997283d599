"""What the room's chat keeps of what is typed: a NUL is refused as the HTTP doors refuse it
(PostgreSQL cannot store it: the failed write closed the socket), other control characters
are dropped."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import test_utils

from fengqiao.mediation_room import Role
from fengqiao.mediation_room.memory_store import InMemoryRoomStore
from fengqiao.typed_text import NUL_TEXT

from .client import RoomClient
from .conftest import ROOM_ID

MEDIATOR, PARTY_A = 200, 60


async def test_a_nul_in_chat_is_refused_politely_and_other_controls_are_dropped(
    http: test_utils.TestClient, store: InMemoryRoomStore, make_token: Callable[..., str]
) -> None:
    # Probe report #4: {"type": "chat", "text": "a\u0000b"} reached the store; on PostgreSQL
    # CharacterNotInRepertoireError, and the websocket closed.
    m = RoomClient(http, ROOM_ID, make_token(Role.MEDIATOR, "med"), MEDIATOR)
    a = RoomClient(http, ROOM_ID, make_token(Role.PARTY_A, "pa"), PARTY_A)
    for c in (m, a):
        await c.join()
        await c.wait_for("notice")
        await c.send(type="consent", accepted=True)
    await m.send(type="admit", participant="pa")
    await a.wait_for("offer")

    await a.send(type="chat", text="a\u0000b")
    refused = await a.wait_for("error")
    assert refused["code"] == "invalid_text" and refused["message"] == NUL_TEXT
    assert "\u0000" not in refused["message"] and "\\u0000" not in refused["message"]
    assert a.ws is not None and not a.ws.closed  # still in the room
    await a.send(type="chat", text="我同意\u0007调解\u001b[31m方案\t。")
    said = await m.wait_for("chat")
    assert said["text"] == "我同意调解[31m方案\t。"
    assert [c.text for c in store.chat] == ["我同意调解[31m方案\t。"]
    for c in (m, a):
        await c.leave()
