"""Staff API for the video room of a booking: make the room, get everyone's join link."""

from __future__ import annotations

from aiohttp import web

from fengqiao import keys
from fengqiao.mediation_room.routes import setup_rooms
from fengqiao.mediation_room.sql_store import RoomNotAvailable, RoomService, SqlRoomStore
from fengqiao.web.access import require_staff
from fengqiao.web.errors import ApiError
from fengqiao.web.openapi import documented
from fengqiao.web.params import path_id

ROOM_SERVICE: web.AppKey[RoomService] = web.AppKey("room_service")


@documented(
    "The video room of a booking (made on first call) and every participant's join link",
    parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
    response={"type": "object", "required": ["links"]},
    errors=(401, 404),
    security=True,
)
async def booking_room(request: web.Request) -> web.Response:
    await require_staff(request)
    booking_id = path_id(request)
    if booking_id is None:
        raise ApiError(404, "booking_not_found", "预约不存在")
    try:
        links = await request.app[ROOM_SERVICE].links(booking_id)
    except RoomNotAvailable:
        raise ApiError(404, "booking_not_found", "预约不存在或尚未确定时间") from None
    return web.json_response({"links": links}, dumps=_dumps)


def _dumps(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


def setup(app: web.Application) -> None:
    settings = app[keys.SETTINGS]
    recordings = settings.data_dir / "files" / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    setup_rooms(
        app,
        room_store=SqlRoomStore(app),
        recordings_dir=recordings,
        ice_servers=settings.ice_servers,
        secret_key=settings.secret,
    )

    async def service(app: web.Application):  # type: ignore[no-untyped-def]
        app[ROOM_SERVICE] = RoomService(app[keys.DB], settings.secret, settings.public_url)
        yield

    app.cleanup_ctx.append(service)
    app.router.add_post("/api/v1/rooms/for-booking/{id}", booking_room)
