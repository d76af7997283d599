"""The mediator's way back from the video room to the case page: by the room's id, through the
same policy as the case page itself."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.demo import build_demo
from fengqiao.storage.models import Booking, Case, Mediator, Room
from tests.web.sessions import staff_session


async def test_the_room_leads_its_mediator_back_to_the_case_and_no_one_else(settings):
    demo = await build_demo(settings)
    booking_id = int(demo["room"]["booking_id"])
    app = create_app(settings)
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as http:
        async with app[keys.DB].read() as session:
            booking = await session.get(Booking, booking_id)
            username = await session.scalar(
                select(Mediator.username).where(Mediator.id == booking.mediator_id))
            code = await session.scalar(select(Case.code).where(Case.id == booking.case_id))
        mediator = await staff_session(app, username, "调解员", role="mediator")
        resp = await http.post(f"/api/v1/rooms/for-booking/{booking_id}", headers=mediator)
        assert resp.status == 200, await resp.text()
        async with app[keys.DB].read() as session:
            room = await session.scalar(select(Room.id).where(Room.booking_id == booking_id))
        assert room is not None
        cookie = {"Cookie": mediator["Cookie"]}
        back = await http.get(f"/console/rooms/{room}/case", headers=cookie,
                              allow_redirects=False)
        assert back.status == 303 and back.headers["Location"] == f"/console/cases/{code}"

        # A mediator of another organisation, no one signed in, a room that does not exist.
        other = await staff_session(app, "room-other", "外单位调解员", role="mediator",
                                    organisation="另一个调解委员会")
        resp = await http.get(f"/console/rooms/{room}/case", headers={"Cookie": other["Cookie"]},
                              allow_redirects=False)
        assert resp.status == 403
        resp = await http.get(f"/console/rooms/{room}/case", allow_redirects=False)
        assert resp.status in (302, 303, 401) and "/console/cases/" not in \
            resp.headers.get("Location", "")
        resp = await http.get("/console/rooms/no-such-room/case", headers=cookie,
                              allow_redirects=False)
        assert resp.status == 404
