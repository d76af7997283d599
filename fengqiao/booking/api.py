"""Booking JSON API (/api/v1/booking/...): staff and mediators through their console session,
parties through their signed link, the calendar feed through its secret token."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from fengqiao import keys
from fengqiao.booking import auth, ics, texts
from fengqiao.booking.registry import RegistryError
from fengqiao.booking.service import BookingError, BookingService, local_text
from fengqiao.web.errors import ApiError
from fengqiao.web.kit.door import by_booking, by_case, by_token, declare
from fengqiao.web.kit.requester import REQUESTER, Staff
from fengqiao.web.openapi import documented
from fengqiao.web.params import path_id

BOOKING = keys.BOOKING

ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
BOOKING_SCHEMA = {
    "type": "object",
    "required": ["id", "case", "status", "slots", "parties"],
    "properties": {
        "id": {"type": "integer"},
        "case": {"type": "string"},
        "status": {"type": "string"},
        "status_name": {"type": "string"},
        "starts_at": {"type": "string", "nullable": True},
        "ends_at": {"type": "string", "nullable": True},
        "slots": {"type": "array", "items": {"type": "object"}},
        "parties": {"type": "array", "items": {"type": "object"}},
    },
}


def service(request: web.Request) -> BookingService:
    return request.app[BOOKING]


def reply(body: Any, status: int = 200) -> web.Response:
    return web.json_response(
        body,
        status=status,
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
        headers={"Cache-Control": "no-store"},
    )


def refused(exc: BookingError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message)


def _id(request: web.Request) -> int:
    """The row id in the path; one no row can have (too big for the database) is a 404."""
    found = path_id(request)
    if found is None:
        raise ApiError(404, "not_found", "记录不存在")
    return found


async def viewer(request: web.Request, *, write: bool = False) -> auth.Viewer:
    """The signed-in staff member the door admitted (it has checked CSRF on writes)."""
    who = request.get(REQUESTER)
    if not isinstance(who, Staff):
        raise ApiError(401, "unauthorized", "请先登录")
    user = who.user
    csrf = who.session.csrf if who.session else ""
    mediator = await service(request).registry.mediator_by_username(user.username)
    return auth.Viewer(
        user.username, user.display_name, user.role, csrf, mediator.id if mediator else None
    )


async def staff(request: web.Request, *, write: bool = False, admin: bool = False) -> auth.Viewer:
    user = await viewer(request, write=write)
    allowed = auth.ADMIN_ROLES if admin else auth.STAFF_ROLES
    if user.role not in allowed:
        raise ApiError(403, "forbidden", "没有权限")
    return user


def own_mediator(user: auth.Viewer, mediator_id: int) -> None:
    if user.role not in auth.STAFF_ROLES and user.mediator_id != mediator_id:
        raise ApiError(403, "forbidden", texts.E_NOT_YOURS)


async def body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "请求格式有误") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "请求格式有误")
    return data


def parse_time(value: Any, request: web.Request) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiError(400, "bad_time", "时间格式有误") from None
    if moment.tzinfo is None:  # a wall-clock time from a form is local time
        moment = moment.replace(tzinfo=service(request).config.tz)
    return moment


def int_field(data: dict[str, Any], name: str) -> int:
    try:
        return int(data[name])
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "bad_request", f"缺少或错误的字段：{name}") from None


# --- staff: recommend, propose, book ---------------------------------------------------------


@documented(
    "Mediators recommended for a case, with scores and reasons",
    parameters=[
        CODE,
        {"name": "language", "in": "query", "schema": {"type": "string"}},
        {"name": "remote", "in": "query", "schema": {"type": "boolean"}},
    ],
    errors=(401, 403, 404),
    security=True,
)
async def recommendations(request: web.Request) -> web.Response:
    await staff(request)
    remote = request.query.get("remote")
    try:
        result = await service(request).recommend(
            request.match_info["code"],
            language=request.query.get("language") or None,
            remote=None if remote is None else remote in ("1", "true", "yes"),
        )
    except BookingError as exc:
        raise refused(exc) from None
    return reply(result)


@documented(
    "Offer times with a mediator to the parties (times optional: the first free ones)",
    request={
        "type": "object",
        "required": ["mediator_id"],
        "properties": {
            "mediator_id": {"type": "integer"},
            "times": {"type": "array", "items": {"type": "string"}},
            "mode": {"type": "string", "enum": ["onsite", "video"]},
            "place": {"type": "string"},
        },
    },
    response=BOOKING_SCHEMA,
    parameters=[CODE],
    errors=(400, 401, 403, 404, 409),
    security=True,
)
async def propose(request: web.Request) -> web.Response:
    user = await staff(request, write=True)
    data = await body(request)
    times = [parse_time(t, request) for t in data.get("times") or []]
    try:
        view = await service(request).propose(
            request.match_info["code"],
            int_field(data, "mediator_id"),
            user.actor,
            times=times or None,
            mode=str(data.get("mode") or "onsite"),
            place=str(data["place"]) if data.get("place") else None,
        )
    except BookingError as exc:
        raise refused(exc) from None
    return reply(view, 201)


@documented(
    "Book a fixed time at once (arranged by phone); the parties still confirm it",
    request={
        "type": "object",
        "required": ["mediator_id", "starts_at"],
        "properties": {
            "mediator_id": {"type": "integer"},
            "starts_at": {"type": "string"},
            "mode": {"type": "string"},
            "place": {"type": "string"},
        },
    },
    response=BOOKING_SCHEMA,
    parameters=[CODE],
    errors=(400, 401, 403, 404, 409),
    security=True,
)
async def book(request: web.Request) -> web.Response:
    user = await staff(request, write=True)
    data = await body(request)
    try:
        view = await service(request).book(
            request.match_info["code"],
            int_field(data, "mediator_id"),
            parse_time(data.get("starts_at"), request),
            user.actor,
            mode=str(data.get("mode") or "onsite"),
            place=str(data["place"]) if data.get("place") else None,
        )
    except BookingError as exc:
        raise refused(exc) from None
    return reply(view, 201)


@documented(
    "Bookings of a case, newest first",
    response={"type": "array", "items": BOOKING_SCHEMA},
    parameters=[CODE],
    errors=(401, 403, 404),
    security=True,
)
async def case_bookings(request: web.Request) -> web.Response:
    await staff(request)
    try:
        return reply(await service(request).for_case(request.match_info["code"]))
    except BookingError as exc:
        raise refused(exc) from None


# --- staff and mediators: one booking --------------------------------------------------------


@documented(
    "One booking (staff, or its mediator)",
    response=BOOKING_SCHEMA,
    parameters=[ID],
    errors=(401, 403, 404),
    security=True,
)
async def get_booking(request: web.Request) -> web.Response:
    user = await viewer(request)
    try:
        return reply(await service(request).get(_id(request), user.actor))
    except BookingError as exc:
        raise refused(exc) from None


ACTIONS = ("accept", "decline", "cancel", "reschedule", "complete", "no_show", "notes")


@documented(
    "Act on a booking: accept, decline, cancel, reschedule (reason required for the last "
    "three), complete {outcome, notes}, no_show {party_ids}, notes {notes}",
    request={
        "type": "object",
        "properties": {
            "reason": {"type": "string"},
            "outcome": {"type": "string", "enum": ["agreed", "failed", "withdrawn"]},
            "notes": {"type": "string"},
            "party_ids": {"type": "array", "items": {"type": "integer"}},
            "times": {"type": "array", "items": {"type": "string"}},
        },
    },
    response=BOOKING_SCHEMA,
    parameters=[
        ID,
        {"name": "action", "in": "path", "required": True, "schema": {"enum": ACTIONS}},
    ],
    errors=(400, 401, 403, 404, 409),
    security=True,
)
async def booking_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise ApiError(404, "not_found", "未知操作")
    user = await viewer(request, write=True)
    data = await body(request) if request.can_read_body else {}
    booking_id = _id(request)
    svc, actor = service(request), user.actor
    reason = str(data.get("reason") or "")
    notes = data.get("notes")
    try:
        if action == "accept":
            view = await svc.accept(booking_id, actor)
        elif action == "decline":
            view = await svc.decline(booking_id, actor, reason)
        elif action == "cancel":
            view = await svc.cancel(booking_id, actor, reason)
        elif action == "reschedule":
            times = [parse_time(t, request) for t in data.get("times") or []]
            view = await svc.reschedule(booking_id, actor, reason, times=times or None)
        elif action == "complete":
            view = await svc.complete(
                booking_id, actor, str(data.get("outcome") or ""), str(notes) if notes else None
            )
        elif action == "no_show":
            ids = [int(i) for i in data.get("party_ids") or []]
            view = await svc.no_show(booking_id, actor, ids, str(notes) if notes else None)
        else:
            view = await svc.set_notes(booking_id, actor, str(notes or ""))
    except BookingError as exc:
        raise refused(exc) from None
    return reply(view)


# --- mediators: calendar, free slots, subsidy -----------------------------------------------


@documented(
    "The signed-in user's mediator record, if any",
    errors=(401, 404),
    security=True,
)
async def me(request: web.Request) -> web.Response:
    user = await viewer(request)
    if user.mediator_id is None:
        raise ApiError(404, "not_a_mediator", texts.E_MEDIATOR_NOT_FOUND)
    return reply(await mediator_view(request, user.mediator_id, with_feed=True))


async def mediator_view(
    request: web.Request, mediator_id: int, with_feed: bool = False
) -> dict[str, Any]:
    svc = service(request)
    m = await svc.registry.mediator(mediator_id)
    if m is None:
        raise ApiError(404, "mediator_not_found", texts.E_MEDIATOR_NOT_FOUND)
    out: dict[str, Any] = {
        "id": m.id,
        "code": m.code,
        "name": m.name,
        "title": m.title,
        "skills": m.skills,
        "languages": m.languages,
        "region": m.region,
        "capacity": m.capacity,
        "subsidy_yuan": m.subsidy_fen / 100,
        "status": m.status,
        "username": m.username,
        "hours": await svc.registry.hours_text(m.id),
    }
    if with_feed:
        out["ics_url"] = f"{svc.base}/api/v1/booking/feeds/{m.ics_token}.ics"
    return out


def week_range(request: web.Request) -> tuple[datetime, datetime]:
    svc = service(request)
    if "from" in request.query:
        start = parse_time(request.query["from"], request)
    else:
        today = svc.clock().astimezone(svc.config.tz).date()
        monday = today - timedelta(days=today.weekday())
        start = datetime(monday.year, monday.month, monday.day, tzinfo=svc.config.tz)
    days = min(max(int(request.query.get("days", "7") or 7), 1), 62)
    return start, start + timedelta(days=days)


@documented(
    "A mediator's calendar: bookings in a range (default: this week) and those awaiting a time",
    parameters=[
        ID,
        {"name": "from", "in": "query", "schema": {"type": "string"}},
        {"name": "days", "in": "query", "schema": {"type": "integer"}},
    ],
    response={"type": "object"},
    errors=(401, 403, 404),
    security=True,
)
async def calendar(request: web.Request) -> web.Response:
    user = await viewer(request)
    mediator_id = _id(request)
    own_mediator(user, mediator_id)
    start, end = week_range(request)
    svc = service(request)
    items = await svc.calendar(mediator_id, start, end)
    free = await svc.open_slots(mediator_id, limit=40)
    return reply(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "bookings": items,
            "free": [
                {
                    "starts_at": lo.astimezone(svc.config.tz).isoformat(),
                    "when": local_text(lo, svc.config),
                }
                for lo, _ in free
            ],
        }
    )


@documented(
    "一案一补: a mediator's finished cases and subsidy by month",
    parameters=[ID, {"name": "year", "in": "query", "schema": {"type": "integer"}}],
    response={"type": "array", "items": {"type": "object"}},
    errors=(401, 403, 404),
    security=True,
)
async def subsidy(request: web.Request) -> web.Response:
    user = await viewer(request)
    mediator_id = _id(request)
    own_mediator(user, mediator_id)
    svc = service(request)
    year = int(request.query.get("year") or svc.clock().astimezone(svc.config.tz).year)
    try:
        return reply(await svc.subsidy(mediator_id, year))
    except BookingError as exc:
        raise refused(exc) from None


@documented(
    "Record an absence (leave, training, a court day) for a mediator: admins, or the mediator",
    request={
        "type": "object",
        "required": ["starts_at", "ends_at"],
        "properties": {
            "starts_at": {"type": "string"},
            "ends_at": {"type": "string"},
            "reason": {"type": "string"},
        },
    },
    parameters=[ID],
    errors=(400, 401, 403),
    security=True,
)
async def add_absence(request: web.Request) -> web.Response:
    user = await viewer(request, write=True)
    mediator_id = _id(request)
    if user.role not in auth.ADMIN_ROLES and user.mediator_id != mediator_id:
        raise ApiError(403, "forbidden", texts.E_NOT_YOURS)
    data = await body(request)
    try:
        absence = await service(request).registry.add_absence(
            mediator_id,
            parse_time(data.get("starts_at"), request),
            parse_time(data.get("ends_at"), request),
            str(data.get("reason") or ""),
            user.actor.name,
        )
    except RegistryError as exc:
        raise ApiError(400, "invalid", str(exc)) from None
    return reply({"id": absence}, 201)


# --- registry (admins) -----------------------------------------------------------------------


@documented(
    "Organisations and mediators in the registry",
    response={"type": "object"},
    errors=(401, 403),
    security=True,
)
async def registry(request: web.Request) -> web.Response:
    await staff(request)
    reg = service(request).registry
    orgs = await reg.organisations()
    by_id = {o.id: o.code for o in orgs}
    return reply(
        {
            "organisations": [
                {
                    "code": o.code,
                    "name": o.name,
                    "kind": o.kind,
                    "kind_name": texts.ORG_KINDS.get(o.kind, o.kind),
                    "region": o.region,
                    "address": o.address,
                    "active": o.active,
                }
                for o in orgs
            ],
            "mediators": [
                {
                    "id": m.id,
                    "code": m.code,
                    "name": m.name,
                    "organisation": by_id.get(m.organisation_id or 0),
                    "skills": m.skills,
                    "languages": m.languages,
                    "region": m.region,
                    "capacity": m.capacity,
                    "subsidy_yuan": m.subsidy_fen / 100,
                    "status": m.status,
                }
                for m in await reg.mediators()
            ],
        }
    )


@documented(
    "Create or update one organisation or mediator (by code); admins only",
    request={"type": "object", "required": ["code", "name"]},
    parameters=[
        {
            "name": "kind",
            "in": "path",
            "required": True,
            "schema": {"enum": ["organisations", "mediators"]},
        }
    ],
    errors=(400, 401, 403),
    security=True,
)
async def save_entry(request: web.Request) -> web.Response:
    user = await staff(request, write=True, admin=True)
    data = {
        k: ";".join(v) if isinstance(v, list) else str(v) for k, v in (await body(request)).items()
    }
    reg = service(request).registry
    try:
        if request.match_info["kind"] == "organisations":
            org = await reg.save_organisation(data, user.actor.name)
            return reply({"code": org.code, "name": org.name})
        if request.match_info["kind"] == "mediators":
            m = await reg.save_mediator(data, user.actor.name)
            return reply(await mediator_view(request, m.id))
    except RegistryError as exc:
        raise ApiError(400, "invalid", str(exc)) from None
    raise ApiError(404, "not_found", "未知类型")


@documented(
    "Import organisations or mediators from CSV (UTF-8, header row); all or nothing",
    request={"type": "string"},
    content_type="text/csv",
    parameters=[
        {
            "name": "kind",
            "in": "path",
            "required": True,
            "schema": {"enum": ["organisations", "mediators"]},
        }
    ],
    response={
        "type": "object",
        "properties": {
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "errors": {"type": "array"},
        },
    },
    errors=(400, 401, 403),
    security=True,
)
async def import_csv(request: web.Request) -> web.Response:
    user = await staff(request, write=True, admin=True)
    kind = request.match_info["kind"]
    if kind not in ("organisations", "mediators"):
        raise ApiError(404, "not_found", "未知类型")
    try:
        text = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", "请使用 UTF-8 编码的 CSV 文件") from None
    report = await service(request).registry.import_csv(kind, text, user.actor.name)
    body_ = {"created": report.created, "updated": report.updated, "errors": report.errors}
    return reply(body_, 400 if report.errors else 200)


# --- parties, by signed link -----------------------------------------------------------------


@documented(
    "A party's view of their booking: offered times, who has confirmed (by signed link)",
    response=BOOKING_SCHEMA,
    parameters=[TOKEN],
    errors=(403, 404),
)
async def party_view(request: web.Request) -> web.Response:
    try:
        return reply(await service(request).party_view(request.match_info["token"]))
    except BookingError as exc:
        raise refused(exc) from None


@documented(
    "A party confirms one offered time; consent to mediation is recorded with it",
    request={
        "type": "object",
        "required": ["slot_id"],
        "properties": {"slot_id": {"type": "integer"}, "consent": {"type": "boolean"}},
    },
    response=BOOKING_SCHEMA,
    parameters=[TOKEN],
    errors=(400, 403, 404, 409),
)
async def party_confirm(request: web.Request) -> web.Response:
    svc, token = service(request), request.match_info["token"]
    data = await body(request)
    try:
        booking_id, actor = await svc.party_access(token)
        await svc.choose(
            booking_id,
            actor,
            int_field(data, "slot_id"),
            consent=bool(data.get("consent")),
        )
        return reply(await svc.party_view(token))
    except BookingError as exc:
        raise refused(exc) from None


@documented(
    "A party asks for other times, with a reason",
    request={
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string"}},
    },
    response=BOOKING_SCHEMA,
    parameters=[TOKEN],
    errors=(400, 403, 404, 409),
)
async def party_reschedule(request: web.Request) -> web.Response:
    svc, token = service(request), request.match_info["token"]
    data = await body(request)
    try:
        booking_id, actor = await svc.party_access(token)
        await svc.reschedule(booking_id, actor, str(data.get("reason") or ""))
        return reply(await svc.party_view(token))
    except BookingError as exc:
        raise refused(exc) from None


@documented(
    "The applicant picks one of the top recommended mediators (mediator_id null: the first); "
    "the parties then get that mediator's free times",
    request={
        "type": "object",
        "properties": {
            "mediator_id": {"type": "integer", "nullable": True},
            "mode": {"type": "string", "enum": ["onsite", "video"]},
        },
    },
    response=BOOKING_SCHEMA,
    parameters=[TOKEN],
    errors=(400, 403, 409),
)
async def party_pick(request: web.Request) -> web.Response:
    data = await body(request)
    raw = data.get("mediator_id")
    try:
        view = await service(request).resident_pick(
            request.match_info["token"],
            None if raw is None else int_field(data, "mediator_id"),
            mode="video" if data.get("mode") == "video" else "onsite",
        )
    except BookingError as exc:
        raise refused(exc) from None
    return reply(view)


# --- calendar feed ---------------------------------------------------------------------------


@documented(
    "A mediator's sessions as an iCalendar (text/calendar) feed; the token is the secret",
    parameters=[TOKEN],
    response={"type": "string", "description": "text/calendar"},
    errors=(404,),
)
async def feed(request: web.Request) -> web.Response:
    """GET /api/v1/booking/feeds/{token}.ics: the token is the secret; no session needed."""
    svc = service(request)
    try:
        mediator, items = await svc.mediator_feed(request.match_info["token"])
    except BookingError as exc:
        raise refused(exc) from None
    events = [
        ics.CalendarEvent(
            uid=f"booking-{b['id']}@fengqiao",
            starts_at=datetime.fromisoformat(b["starts_at"]),
            ends_at=datetime.fromisoformat(b["ends_at"]),
            summary=texts.ICS_SUMMARY.format(code=b["case"], type_name=b["type_name"]),
            location=b["place"] or "",
            description=f"{b['status_name']} · {b['mode_name']}",
            url=f"{svc.base}/console/booking/{b['id']}",
            sequence=b["version"],
            cancelled=b["status"] in ("cancelled", "declined"),
        )
        for b in items
        if b["starts_at"]
    ]
    text = ics.render(f"{mediator.name} · 调解日程", events, svc.clock())
    return web.Response(
        text=text,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


# What each handler needs, for the door (fengqiao/web/kit/door.py).
_PARTY: dict[str, Any] = {"token_in_path": "token", "case": by_token()}
_DECLARED: list[tuple[Any, str, dict[str, Any]]] = [
    (recommendations, "booking.manage", {"case": by_case()}),
    (propose, "booking.manage", {"case": by_case()}),
    (book, "booking.manage", {"case": by_case()}),
    (case_bookings, "booking.view", {"case": by_case()}),
    (get_booking, "booking.view", {"case": by_booking()}),
    (booking_action, "booking.manage", {"case": by_booking()}),
    (me, "staff", {}),
    (calendar, "calendar.view", {}),
    (subsidy, "calendar.view", {}),
    (add_absence, "calendar.manage", {}),
    (registry, "registry.view", {}),
    (save_entry, "registry.manage", {}),
    (import_csv, "registry.manage", {}),
    (party_view, "booking.party", _PARTY),
    (party_confirm, "booking.party", _PARTY),
    (party_reschedule, "booking.party", _PARTY),
    (party_pick, "booking.party", _PARTY),
    (feed, "public", {}),  # the feed's own secret token is checked by the service
]
for _handler, _permission, _extra in _DECLARED:
    declare(_permission, summary=(_handler.__doc__ or "").strip(), **_extra)(_handler)


def setup(app: web.Application, booking: BookingService | None = None) -> None:
    """Register the routes. The service is put under BOOKING by the caller (app.py's services
    context) or passed here for a standalone app."""
    if booking is not None:
        app[BOOKING] = booking
    r = app.router
    p = "/api/v1/booking"
    r.add_get(p + "/cases/{code}/recommendations", recommendations)
    r.add_post(p + "/cases/{code}/proposals", propose)
    r.add_post(p + "/cases/{code}/bookings", book)
    r.add_get(p + "/cases/{code}/bookings", case_bookings)
    r.add_get(p + "/bookings/{id:\\d+}", get_booking)
    r.add_post(p + "/bookings/{id:\\d+}/{action}", booking_action)
    r.add_get(p + "/me", me)
    r.add_get(p + "/mediators/{id:\\d+}/calendar", calendar)
    r.add_get(p + "/mediators/{id:\\d+}/subsidy", subsidy)
    r.add_post(p + "/mediators/{id:\\d+}/absences", add_absence)
    r.add_get(p + "/registry", registry)
    r.add_post(p + "/registry/{kind}", save_entry)
    r.add_post(p + "/registry/{kind}/import", import_csv)
    r.add_get(p + "/party/{token}", party_view)
    r.add_post(p + "/party/{token}/confirm", party_confirm)
    r.add_post(p + "/party/{token}/reschedule", party_reschedule)
    r.add_post(p + "/party/{token}/mediator", party_pick)
    r.add_get(p + "/feeds/{token}.ics", feed)
    from fengqiao.booking import pages  # pages use this module's viewer(): import late

    pages.setup(app)
