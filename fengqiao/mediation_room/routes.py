"""HTTP and WebSocket edges of the mediation room, and ``setup_rooms`` that wires them in."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from fengqiao.mediation_room import texts
from fengqiao.mediation_room.registry import RoomRegistry
from fengqiao.mediation_room.session import JoinRefused, Participant, RoomOptions, RoomSession
from fengqiao.mediation_room.store import RoomStore
from fengqiao.mediation_room.tokens import Role, TokenError, verify_join_token

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "room"
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
PLAYBACK_ROLES = frozenset({Role.MEDIATOR})

REGISTRY_KEY = web.AppKey("room_registry", RoomRegistry)
SECRET_KEY = web.AppKey("room_secret", bytes)


def _error(status: type[web.HTTPException], code: str) -> web.HTTPException:
    body = json.dumps({"error": {"code": code, "message": texts.ERRORS[code]}}, ensure_ascii=False)
    return status(text=body, content_type="application/json")


async def room_page(request: web.Request) -> web.StreamResponse:
    # The token stays in the URL's query; the page reads it and sends it over the socket.
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


def _live_participant(request: web.Request, token: str) -> tuple[RoomSession, Participant]:
    registry = request.app[REGISTRY_KEY]
    room_id = request.match_info["room_id"]
    try:
        claims = verify_join_token(request.app[SECRET_KEY], token, room_id, registry.clock())
    except TokenError as exc:
        raise _error(web.HTTPForbidden, exc.code) from None
    session = registry.sessions.get(room_id)
    participant = session.participants.get(claims.participant_id) if session else None
    if session is None or participant is None or not participant.online or not participant.admitted:
        raise _error(web.HTTPConflict, "not_in_room")
    return session, participant


def _token_of(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or request.query.get("t", "")


async def upload_evidence(request: web.Request) -> web.Response:
    session, participant = _live_participant(request, _token_of(request))
    reader = await request.multipart()
    field = await reader.next()
    if field is None or getattr(field, "name", None) != "file":
        raise _error(web.HTTPBadRequest, "evidence_rejected")
    data = bytearray()
    while chunk := await field.read_chunk():  # type: ignore[union-attr]
        data += chunk
        if len(data) > MAX_EVIDENCE_BYTES:
            raise _error(web.HTTPRequestEntityTooLarge, "evidence_rejected")
    # Browsers send the UTF-8 name as is; some clients percent-encode it (RFC 5987).
    filename = unquote(getattr(field, "filename", None) or "evidence")[:200]
    try:
        ref = await session.show_evidence(participant, filename, bytes(data))
    except ValueError:
        raise _error(web.HTTPUnsupportedMediaType, "evidence_rejected") from None
    return web.json_response({"id": ref.evidence_id, "content_type": ref.content_type})


async def view_evidence(request: web.Request) -> web.Response:
    session, participant = _live_participant(request, _token_of(request))
    item = session.evidence.get(request.match_info["evidence_id"])
    if item is None or participant.participant_id not in item[2]:
        raise _error(web.HTTPForbidden, "forbidden")
    ref, data, _ = item
    return web.Response(
        body=data,
        content_type=ref.content_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def recording_file(recordings_dir: Path, room_id: str, name: str) -> Path | None:
    """The recording file ``name`` of a room, or None; refuses any path outside the room's."""
    base = (recordings_dir / room_id).resolve()
    path = (base / name).resolve()
    if path.parent != base or not path.is_file():
        return None
    return path


async def play_recording(request: web.Request) -> web.StreamResponse:
    """Playback for authorised roles (mediator token); the console may call recording_file.
    FileResponse answers HTTP Range requests (206), so a player can seek."""
    registry = request.app[REGISTRY_KEY]
    room_id = request.match_info["room_id"]
    try:
        claims = verify_join_token(
            request.app[SECRET_KEY], _token_of(request), room_id, registry.clock()
        )
    except TokenError as exc:
        raise _error(web.HTTPForbidden, exc.code) from None
    if claims.role not in PLAYBACK_ROLES:
        raise _error(web.HTTPForbidden, "forbidden")
    path = recording_file(registry.options.recordings_dir, room_id, request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path)


async def room_socket(request: web.Request) -> web.WebSocketResponse:
    """Signalling: the first message is ``{"type": "join", "token": ..., "device": ...}``."""
    registry = request.app[REGISTRY_KEY]
    room_id = request.match_info["room_id"]
    ws = web.WebSocketResponse(heartbeat=10, max_msg_size=256 * 1024)
    await ws.prepare(request)

    async def refuse(code: str) -> web.WebSocketResponse:
        await ws.send_json(
            {"type": "error", "code": code, "message": texts.ERRORS[code]},
            dumps=lambda o: json.dumps(o, ensure_ascii=False),
        )
        await ws.close()
        return ws

    try:
        first = await ws.receive_json(timeout=15)
        token, device = str(first["token"]), str(first.get("device", ""))[:64]
    except (TimeoutError, TypeError, ValueError, KeyError):
        return await refuse("protocol")
    try:
        claims = verify_join_token(request.app[SECRET_KEY], token, room_id, registry.clock())
        session = await registry.session_for(claims)
        participant = await session.connect(claims, device, ws)
    except TokenError as exc:
        return await refuse(exc.code)
    except JoinRefused as exc:
        return await refuse(exc.code)

    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                payload = json.loads(message.data)
                await handle_message(session, participant, payload)
            except (ValueError, TypeError, KeyError):
                logger.warning(
                    "room %s: bad message from %s", room_id, participant.role, exc_info=True
                )
                await ws.send_json(
                    {"type": "error", "code": "protocol", "message": texts.ERRORS["protocol"]}
                )
    finally:
        await asyncio.shield(session.spawn(session.disconnect(participant, ws)))
    return ws


MEDIATOR_ONLY = {"admit", "remove", "readmit", "to_waiting", "mute_request", "caucus", "end"}


async def handle_message(session: RoomSession, p: Participant, msg: dict[str, Any]) -> None:
    kind = msg["type"]
    if kind in MEDIATOR_ONLY and p.role is not Role.MEDIATOR:
        await session._send(
            p, {"type": "error", "code": "forbidden", "message": texts.ERRORS["forbidden"]}
        )
        return
    if kind == "consent":
        await session.consent(p, bool(msg["accepted"]))
    elif kind == "answer" and p.peer is not None:
        if msg.get("peer", p.segments) == p.segments:  # not an answer to an offer since replaced
            await p.peer.accept_answer(str(msg["sdp"]))
    elif kind == "candidate" and p.peer is not None:
        await p.peer.add_candidate(msg.get("candidate") or {})
    elif kind == "media_restart":
        await session.restart_media(p)
    elif kind == "chat":
        await session.chat(p, str(msg["text"]), to=str(msg["to"]) if msg.get("to") else None)
    elif kind == "comment":
        await session.chat(p, str(msg["text"]), evidence_id=str(msg["evidence_id"]))
    elif kind == "mute_state":
        p.muted = {"audio": bool(msg.get("audio")), "video": bool(msg.get("video"))}
        await session.broadcast_roster()
    elif kind in ("admit", "remove", "readmit", "to_waiting", "mute_request"):
        await CONTROLS[kind](session, str(msg["participant"]))
    elif kind == "caucus":
        side = msg.get("side")
        await session.set_caucus(str(side) if side else None)
    elif kind == "end":
        # Ending closes the mediator's own socket, which cancels this handler: run it apart.
        session.spawn(session.end())
    elif kind == "ping":
        await session._send(p, {"type": "pong"})


CONTROLS = {
    "admit": RoomSession.admit,
    "remove": RoomSession.remove,
    "readmit": RoomSession.readmit,
    "to_waiting": RoomSession.send_to_waiting,
    "mute_request": RoomSession.mute_request,
}


def setup_rooms(
    app: web.Application,
    *,
    room_store: RoomStore,
    recordings_dir: Path,
    ice_servers: list[dict[str, Any]],
    secret_key: bytes,
    video_codec: str = "VP8",
    sweep_interval: float = 30.0,
) -> RoomRegistry:
    """Register the room's routes, static files and background sweep on ``app``."""
    registry = RoomRegistry(
        room_store, RoomOptions(ice_servers, recordings_dir, video_codec=video_codec)
    )
    app[REGISTRY_KEY] = registry
    app[SECRET_KEY] = secret_key
    app.router.add_get("/ws/rooms/{room_id}", room_socket)
    app.router.add_get("/h5/room/{room_id}", room_page)
    app.router.add_post("/h5/room/{room_id}/evidence", upload_evidence)
    app.router.add_get("/h5/room/{room_id}/evidence/{evidence_id}", view_evidence)
    app.router.add_get("/h5/room/{room_id}/recordings/{name}", play_recording)
    app.router.add_static("/static/room/", STATIC_DIR, name="room_static")

    async def sweeper(app: web.Application) -> Any:
        task = asyncio.create_task(registry.run_sweeper(sweep_interval))
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await registry.close_all()

    app.cleanup_ctx.append(sweeper)
    return registry
