"""Objects reached with someone else's credentials, where tests/web and tests/mediation_room
do not already try it: a room's recordings and evidence with another room's link or a party's
link, path tricks in recording names, the signalling socket with another room's token; and the
console's cookie on the JSON API without its CSRF token, and after sign-out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.accounts import create_user
from fengqiao.app import create_app
from fengqiao.mediation_room.tokens import issue_join_token
from fengqiao.storage.models import Booking, Mediator, Room
from tests.conftest import make_settings
from tests.web.docs_helpers import ORGANISATION, make_case

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


ROOM_CASES: dict[str, int] = {}


async def make_rooms(app) -> None:
    """Rooms room-a and room-b, each of its own case's booking, as RoomService makes them."""
    now = datetime.now(UTC)
    for n, room_id in enumerate(("room-a", "room-b")):
        case = await make_case(app, suffix=room_id)
        async with app[keys.DB].transaction() as session:
            mediator = Mediator(code=f"M-{n}", name="调解员", username=f"m-{n}", ics_token=f"t{n}")
            session.add(mediator)
            await session.flush()
            booking = Booking(case_id=case.case_id, mediator_id=mediator.id, status="confirmed",
                              starts_at=now, ends_at=now + timedelta(hours=1), mode="video",
                              created_by="test")
            session.add(booking)
            await session.flush()
            session.add(Room(id=room_id, booking_id=booking.id, case_id=case.case_id,
                             starts_at=now, ends_at=now + timedelta(hours=1)))
        ROOM_CASES[room_id] = case.case_id


def join_token(app, room: str, role: str, participant: str = "p1") -> str:
    now = datetime.now(UTC)
    return issue_join_token(
        app[keys.SETTINGS].secret, room, str(ROOM_CASES.get(room, 0)), role, participant,
        now - timedelta(minutes=5), now + timedelta(hours=1),
    )


async def test_room_objects_need_that_rooms_link_and_the_right_role(client):
    app = client.app
    await make_rooms(app)
    recordings = app[keys.SETTINGS].data_dir / "files" / "recordings" / "room-a"
    recordings.mkdir(parents=True)
    (recordings / "20260101-mediator.webm").write_bytes(b"\x1aE\xdf\xa3webm")
    (app[keys.SETTINGS].data_dir / "files" / "recordings" / "secret.txt").write_text("x")
    mediator_a = join_token(app, "room-a", "mediator")
    mediator_b = join_token(app, "room-b", "mediator")
    party_a = join_token(app, "room-a", "party_a", "p2")

    url = "/h5/room/room-a/recordings/20260101-mediator.webm"
    assert (await client.get(f"{url}?t={mediator_a}")).status == 200
    assert (await client.get(f"{url}?t={mediator_b}")).status == 403  # another room's link
    assert (await client.get(f"{url}?t={party_a}")).status == 403  # a party never plays back
    assert (await client.get(url)).status == 401  # no link at all
    for name in ("..%2fsecret.txt", "%2e%2e%2fsecret.txt", "..%5csecret.txt"):
        resp = await client.get(f"/h5/room/room-a/recordings/{name}?t={mediator_a}")
        assert resp.status in (403, 404), name
        assert await resp.read() != b"x"

    form = FormData()
    form.add_field("file", b"%PDF-1.4\n%%EOF\n", filename="a.pdf")
    resp = await client.post(
        "/h5/room/room-a/evidence", data=form, headers={"Authorization": f"Bearer {mediator_b}"}
    )
    assert resp.status == 403
    assert (await client.get(f"/h5/room/room-a/evidence/1?t={mediator_b}")).status == 403


async def test_signalling_socket_refuses_another_rooms_token(client):
    app = client.app
    await make_rooms(app)
    ws = await client.ws_connect("/ws/rooms/room-a")
    await ws.send_json({"type": "join", "token": join_token(app, "room-b", "mediator")})
    reply = await ws.receive_json(timeout=5)
    assert reply["type"] == "error"
    await ws.close()


async def sign_in(client) -> str:
    await create_user(client.app[keys.DB], "li", PASSWORD, "mediator", display_name="李调解",
                      organisation=ORGANISATION)
    page = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
    resp = await client.post(
        "/console/login",
        data={"username": "li", "password": PASSWORD, "csrf": token},
        allow_redirects=False,
    )
    assert resp.status == 303
    cases = await client.get("/console/cases")
    return re.search(r'name="csrf" value="([^"]+)"', await cases.text()).group(1)


async def test_console_cookie_writes_to_the_api_only_with_its_csrf_token(client):
    case = await make_case(client.app)
    csrf = await sign_in(client)
    url = f"/api/v1/cases/{case.code}/agreement"
    # A page on another site can make the browser send the cookie, not the token.
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        resp = await client.post(url, headers=headers)
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf"
    assert (await client.post(url, headers={"X-CSRF-Token": csrf})).status == 200
    # Reads need no token; after sign-out the same cookie opens nothing.
    assert (await client.get("/api/v1/console/cases")).status == 200
    old = client.session.cookie_jar.filter_cookies(client.make_url("/"))["fq_session"].value
    await client.post("/console/logout", data={"csrf": csrf}, allow_redirects=False)
    client.session.cookie_jar.update_cookies({"fq_session": old})
    assert (await client.get("/api/v1/console/cases")).status == 401
    resp = await client.get("/console/cases", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/console/login")
