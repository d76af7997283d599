from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import test_utils, web

from fengqiao.mediation_room import Role, RoomInfo, RoomStatus, issue_join_token, setup_rooms
from fengqiao.mediation_room.memory_store import InMemoryRoomStore
from fengqiao.mediation_room.registry import RoomRegistry

SECRET = b"test-secret-key-for-rooms"
ROOM_ID = "room-1"
CASE_ID = "FQ-2026-0001-X"


@pytest.fixture
def store() -> InMemoryRoomStore:
    store = InMemoryRoomStore()
    now = datetime.now(UTC)
    store.add_room(
        RoomInfo(
            ROOM_ID,
            CASE_ID,
            now - timedelta(minutes=5),
            now + timedelta(minutes=55),
            RoomStatus.SCHEDULED,
        )
    )
    return store


@pytest.fixture
def make_token() -> Callable[..., str]:
    def make(
        role: Role, participant_id: str, room_id: str = ROOM_ID, case_id: str = CASE_ID
    ) -> str:
        now = datetime.now(UTC)
        return issue_join_token(
            SECRET,
            room_id,
            case_id,
            role,
            participant_id,
            now - timedelta(hours=1),
            now + timedelta(hours=2),
        )

    return make


@pytest_asyncio.fixture
async def http(store: InMemoryRoomStore, tmp_path: Path) -> AsyncIterator[test_utils.TestClient]:
    app = web.Application()
    setup_rooms(
        app,
        room_store=store,
        recordings_dir=tmp_path / "recordings",
        ice_servers=[],
        secret_key=SECRET,
    )
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        yield client


def registry_of(http: test_utils.TestClient) -> RoomRegistry:
    from fengqiao.mediation_room.routes import REGISTRY_KEY

    return http.app[REGISTRY_KEY]
