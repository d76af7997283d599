"""Who may open a room, and when; rooms nobody joins expire."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aiohttp import test_utils

from fengqiao.mediation_room import Role, RoomInfo, RoomStatus
from fengqiao.mediation_room.memory_store import InMemoryRoomStore

from .client import RoomClient
from .conftest import CASE_ID, ROOM_ID, registry_of


def reschedule(store: InMemoryRoomStore, starts_in: timedelta) -> None:
    now = datetime.now(UTC)
    room = store.rooms[ROOM_ID]
    store.rooms[ROOM_ID] = replace(
        room, starts_at=now + starts_in, ends_at=now + starts_in + timedelta(hours=1)
    )


async def first_message(http: test_utils.TestClient, token: str) -> dict:
    client = RoomClient(http, ROOM_ID, token, 100)
    await client.join()
    while not client.inbox:
        await asyncio.sleep(0.02)
    await client.leave()
    return client.inbox[0]


async def test_party_too_early_but_mediator_may_open_early(
    http: test_utils.TestClient, store: InMemoryRoomStore, make_token: Callable[..., str]
) -> None:
    reschedule(store, timedelta(minutes=45))
    party = await first_message(http, make_token(Role.PARTY_A, "pa"))
    assert party == {"type": "error", "code": "too_early", "message": party["message"]}
    assert "30分钟" in party["message"]
    mediator = await first_message(http, make_token(Role.MEDIATOR, "m"))
    assert mediator["type"] == "welcome"


async def test_after_window_and_for_ended_rooms_nobody_joins(
    http: test_utils.TestClient, store: InMemoryRoomStore, make_token: Callable[..., str]
) -> None:
    reschedule(store, timedelta(hours=-2))
    assert (await first_message(http, make_token(Role.MEDIATOR, "m")))["code"] == "expired"
    reschedule(store, timedelta(minutes=0))
    store.rooms[ROOM_ID] = replace(store.rooms[ROOM_ID], status=RoomStatus.ENDED)
    assert (await first_message(http, make_token(Role.MEDIATOR, "m")))["code"] == "room_ended"


async def test_token_for_another_case_is_refused(
    http: test_utils.TestClient, make_token: Callable[..., str]
) -> None:
    message = await first_message(http, make_token(Role.PARTY_A, "pa", case_id="OTHER"))
    assert message["code"] == "no_room"


async def test_sweep_expires_rooms_nobody_joined(
    http: test_utils.TestClient, store: InMemoryRoomStore
) -> None:
    past = datetime.now(UTC) - timedelta(hours=3)
    store.add_room(RoomInfo("old", CASE_ID, past, past + timedelta(hours=1), RoomStatus.SCHEDULED))
    await registry_of(http).sweep()
    assert store.rooms["old"].status is RoomStatus.EXPIRED
    assert store.rooms[ROOM_ID].status is RoomStatus.SCHEDULED


async def test_sweep_ends_abandoned_session_and_saves_recording(
    http: test_utils.TestClient,
    store: InMemoryRoomStore,
    make_token: Callable[..., str],
) -> None:
    client = RoomClient(http, ROOM_ID, make_token(Role.MEDIATOR, "m"), 100)
    await client.join()
    await client.wait_for("notice")
    await client.leave()
    registry = registry_of(http)
    session = registry.sessions[ROOM_ID]
    while any(p.online for p in session.participants.values()):
        await asyncio.sleep(0.05)
    session.last_seen -= 3600  # as if everyone left an hour ago
    await registry.sweep()
    assert ROOM_ID not in registry.sessions
    assert store.rooms[ROOM_ID].status is RoomStatus.ENDED
    assert store.recordings[ROOM_ID][0]["end_reason"] == "abandoned"


async def test_a_server_restart_saves_the_recording_and_the_room_can_be_rejoined(
    http: test_utils.TestClient,
    store: InMemoryRoomStore,
    make_token: Callable[..., str],
) -> None:
    """Was: shutting the service down (a restart, a deploy) ended every room for good: the
    parties came back to 本次调解已结束 in the middle of their mediation."""
    client = RoomClient(http, ROOM_ID, make_token(Role.MEDIATOR, "m"), 100)
    await client.join()
    await client.wait_for("notice")
    registry = registry_of(http)
    await registry.close_all()
    assert ROOM_ID not in registry.sessions
    assert store.recordings[ROOM_ID][0]["end_reason"] == "server_shutdown"
    assert store.rooms[ROOM_ID].status is RoomStatus.OPEN
    # The page was not told the mediation ended: it reconnects on its own.
    assert "ended" not in [m.get("type") for m in client.inbox]
    await client.leave()
    again = await first_message(http, make_token(Role.MEDIATOR, "m"))
    assert again["type"] == "welcome"
    assert ROOM_ID in registry.sessions
