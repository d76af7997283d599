"""The video room of a booking: made on first call; join links for those who may have them.

The parties' links go to staff who arrange the session (to send or copy); the mediator's own
link opens the room as its host, so it goes only to the booking's mediator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from fengqiao import errors, keys
from fengqiao.mediation_room import routes as room_routes
from fengqiao.mediation_room.sql_store import (
    RoomNotAvailable,
    RoomService,
    SqlRoomStore,
    booking_mediator_username,
)
from fengqiao.web.api.documents import EVIDENCE_TYPES
from fengqiao.web.api.me_models import RoomLink
from fengqiao.web.kit.door import Call, Routes, by_booking, by_room, declare
from fengqiao.web.kit.uploads import FILE_SCHEMA
from fengqiao.web.room_doors import ROOM_SERVICE

routes = Routes()


class RoomEvidence(BaseModel):
    id: str
    content_type: str


class RoomLinks(BaseModel):
    links: dict[str, str] = Field(description="party id (or mediator:username) -> join link")


@routes.post(
    "/api/v1/rooms/for-booking/{id}",
    "room.links",
    case=by_booking(),
    summary="The video room of a booking (made on first call) and the join links the caller "
    "may hand out: the parties', and the mediator's own to the booking's mediator only",
    response=RoomLinks,
)
async def booking_room(call: Call[Any, Any]) -> Any:
    booking_id = call.path_id()
    try:
        links = await call.app[ROOM_SERVICE].links(booking_id)
    except RoomNotAvailable:
        raise errors.NotFound("booking_not_found", "预约不存在或尚未确定时间") from None
    mediator = await booking_mediator_username(call.app[keys.DB], booking_id)
    if not mediator or mediator != call.staff.user.username:
        links = {pid: link for pid, link in links.items() if not pid.startswith("mediator:")}
    return {"links": links}


def _room_clock(request: web.Request) -> float:
    return float(request.app[room_routes.REGISTRY_KEY].clock().timestamp())


async def room_link_of(
    call: Call[Any, Any], booking_id: int, case_party_id: int
) -> RoomLink | None:
    """A party's own join link while the room's window is open (the room's clock), else None:
    what the resident's space shows instead of a link sent in a message."""
    now = call.app[room_routes.REGISTRY_KEY].clock()
    found = await call.app[ROOM_SERVICE].party_link(booking_id, case_party_id, now)
    return RoomLink(**found) if found else None


# The room's own handlers (fengqiao/mediation_room/routes.py), declared here at the edge: a
# join token (purpose "room") for this room's case, checked against the room's clock.
_JOIN = {"case": by_room(), "clock": _room_clock}
declare("room.join", page=True, media_type="text/html", **_JOIN)(room_routes.room_page)
declare(
    "room.join",
    summary="Show evidence in the room (multipart `file`): to the participants now online",
    response=RoomEvidence,
    body_media_type="multipart/form-data",
    body_schema=FILE_SCHEMA,
    errors=(400, 409, 413, 415),
    **_JOIN,
)(room_routes.upload_evidence)
declare(
    "room.join",
    summary="Evidence shown in the room, to those it was shown to",
    media_type=EVIDENCE_TYPES,
    errors=(409,),
    **_JOIN,
)(room_routes.view_evidence)
declare(
    "room.join",
    summary="Play a recording of the room (mediator's token); answers Range requests",
    media_type=("video/webm", "video/x-matroska"),
    **_JOIN,
)(room_routes.play_recording)
# The socket's token comes in its first message; room_socket verifies it with the same signer.
declare("room.join", in_protocol=True)(room_routes.room_socket)


def setup(app: web.Application) -> None:
    settings = app[keys.SETTINGS]
    recordings = settings.data_dir / "files" / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    room_routes.setup_rooms(
        app,
        room_store=SqlRoomStore(app),
        recordings_dir=recordings,
        ice_servers=settings.ice_servers,
        secret_key=settings.secret,
    )

    async def service(app: web.Application) -> AsyncIterator[None]:
        app[ROOM_SERVICE] = RoomService(app[keys.DB], settings.secret, settings.public_url)
        yield

    app.cleanup_ctx.append(service)
    routes.setup(app)
