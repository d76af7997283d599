"""The room as the service runs it: made for a booking, links from the staff API, chat and
events on the case, recordings stored as case files with their SHA-256."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.demo import build_demo
from fengqiao.storage.models import Booking, CaseFile, Mediator, Room, RoomMessage, utcnow
from tests.mediation_room.client import RoomClient
from tests.web.sessions import staff_session

MEDIATOR, PARTY_A, PARTY_B = 40, 120, 200


async def test_a_booked_room_records_onto_the_case(settings):
    demo = await build_demo(settings)
    booking_id = int(demo["room"]["booking_id"])
    app = create_app(settings)
    async with TestClient(TestServer(app)) as http:
        db = app[keys.DB]
        # The demo's booking is open now: its links work at once.
        async with db.read() as session:
            booking = await session.get(Booking, booking_id)
            assert booking is not None and booking.starts_at <= utcnow() < booking.ends_at
            username = await session.scalar(
                select(Mediator.username)
                .join(Booking, Booking.mediator_id == Mediator.id)
                .where(Booking.id == booking_id)
            )
        # The booking's own mediator, signed in to the console: only they get the host link.
        staff = await staff_session(app, username, "调解员", role="mediator")
        resp = await http.post(f"/api/v1/rooms/for-booking/{booking_id}", headers=staff)
        assert resp.status == 200, await resp.text()
        body = (await resp.json())["links"]
        links = {v["role"]: v["url"] for v in body.values()}
        party_ids = [pid for pid, v in body.items() if v["role"].startswith("party")]
        assert set(links) == {"mediator", "party_a", "party_b"}
        assert (await http.post(f"/api/v1/rooms/for-booking/{booking_id}")).status == 401

        def client(role: str, luma: int) -> RoomClient:
            url = urlparse(links[role])
            room_id = url.path.rsplit("/", 1)[-1]
            return RoomClient(http, room_id, parse_qs(url.query)["t"][0], luma)

        m, a, b = (
            client("mediator", MEDIATOR),
            client("party_a", PARTY_A),
            client("party_b", PARTY_B),
        )
        for c in (m, a, b):
            await c.join()
            await c.wait_for("notice")
            await c.send(type="consent", accepted=True)
        await m.wait_for("offer")
        await a.wait_for("waiting")
        await b.wait_for("waiting")
        for pid in party_ids:
            await m.send(type="admit", participant=pid)
        await a.wait_for("offer")
        await b.wait_for("offer")
        await m.wait_seeing({PARTY_A, PARTY_B})
        await a.send(type="chat", text="我同意分两期付款")
        await m.wait_for("chat")
        await asyncio.sleep(1.5)  # some media on the recording
        await m.send(type="end")
        for c in (m, a, b):
            await c.wait_for("ended")
            await c.leave()

        room_id = urlparse(links["mediator"]).path.rsplit("/", 1)[-1]
        for _ in range(100):
            async with db.read() as session:
                files = (
                    await session.scalars(select(CaseFile).where(CaseFile.kind == "recording"))
                ).all()
            if files:
                break
            await asyncio.sleep(0.1)
        assert files, "no recording on the case"
        root = settings.data_dir / "files"
        for f in files:
            assert f.visibility == "mediator"  # parties cannot fetch recordings
            data = (root / f.file_key).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f.sha256
        assert any(f.mime == "video/webm" for f in files)
        video = next(f for f in files if f.mime == "video/webm")
        resp = await http.get(f"/api/v1/evidence/{video.id}/file", headers=staff)
        assert resp.status == 200
        assert hashlib.sha256(await resp.read()).hexdigest() == video.sha256
        # The console's player seeks: a Range request gets that part only (206).
        resp = await http.get(
            f"/api/v1/evidence/{video.id}/file",
            headers={**staff, "Range": "bytes=10-19"},
        )
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 10-19/{video.size}"
        assert await resp.read() == (root / video.file_key).read_bytes()[10:20]
        resp = await http.get(
            f"/api/v1/evidence/{video.id}/file",
            headers={**staff, "Range": f"bytes={video.size}-"},
        )
        assert resp.status == 416
        # Each file is listed by whose it is, which segment and how long; the manifest apart.
        names = [f.original_name or "" for f in files]
        manifest = next(f for f in files if f.mime == "application/json")
        assert manifest.original_name == "录像清单（各文件的时间轴与 SHA-256 校验值）.json"
        assert any("（申请人） · 第1段 · " in n and n.endswith(".webm") for n in names), names
        party = parse_qs(urlparse(links["party_a"]).query)["t"][0]
        resp = await http.get(f"/api/v1/evidence/{video.id}/file?t={party}")
        assert resp.status in (401, 403, 404)  # a party never plays the recording
        async with db.read() as session:
            said = (await session.scalars(select(RoomMessage.text))).all()
            room = await session.get(Room, room_id)
        assert "我同意分两期付款" in said
        assert room.status == "ended"
        report = await app[keys.CASES].verify_audit()
        assert report.ok
