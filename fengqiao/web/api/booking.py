"""Booking JSON API (/api/v1/booking/...): staff and mediators through their console session,
parties through their booking link, the calendar feed through its secret token.

Each route declares its permission and its case; the door has checked both, and parsed the
declared body and query, before the handler runs (fengqiao/web/kit/door.py). Handlers call
one booking service and return its dict; booking's refusals are domain errors the door maps.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from aiohttp import web

from fengqiao import errors, keys, policy
from fengqiao.booking import texts, views
from fengqiao.booking.actor import Actor
from fengqiao.booking.build import BookingServices
from fengqiao.web import room_doors
from fengqiao.web.api import booking_models as m
from fengqiao.web.kit.door import Call, Routes, by_booking, by_case, by_token
from fengqiao.web.kit.replies import reply

P = "/api/v1/booking"
KINDS = ("organisations", "mediators")
PARTY: dict[str, Any] = {"token_in_path": "token", "case": by_token()}
routes = Routes()


def booking(call: Call[Any, Any]) -> BookingServices:
    return call.app[keys.BOOKING]


async def actor(call: Call[Any, Any]) -> Actor:
    """Booking's view of the signed-in staff member: their registry entry, if a mediator, and
    whether their role sees every booking (then they act for any mediator and read every
    calendar; a mediator acts on their own bookings and calendar only)."""
    user = call.staff.user
    found = await booking(call).registry.mediator_by_username(user.username)
    return Actor(
        f"staff:{user.username}",
        mediator_id=found.id if found else None,
        staff=policy.staff_scope(user.role, "booking.view") == "all",
    )


def own_calendar(who: Actor, mediator_id: int) -> None:
    if not who.staff and who.mediator_id != mediator_id:
        raise errors.Forbidden("forbidden", texts.E_NOT_YOURS)


def bad_field(name: str, problem: str) -> errors.BadRequest:
    return errors.BadRequest(
        "invalid_field",
        f"字段 {name} 不正确：{problem}",
        problems=[{"field": name, "problem": problem}],
    )


def parse_time(value: str, name: str, tz: tzinfo) -> datetime:
    """An ISO 8601 time; a wall-clock time from a form is the centre's local time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_field(name, "应为日期时间") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def parse_times(values: list[str], name: str, tz: tzinfo) -> list[datetime] | None:
    return [parse_time(v, name, tz) for v in values] or None


# --- staff: recommend, propose, book ---------------------------------------------------------


@routes.get(
    P + "/cases/{code}/recommendations",
    "booking.manage",
    case=by_case(),
    query=m.Recommending,
    summary="Mediators recommended for a case, with scores and reasons",
)
async def recommendations(call: Call[Any, m.Recommending]) -> Any:
    return await booking(call).recommender.recommend(
        call.path("code"), language=call.query.language or None, remote=call.query.remote
    )


@routes.post(
    P + "/cases/{code}/proposals",
    "booking.manage",
    case=by_case(),
    body=m.Proposal,
    response=m.BookingView,
    errors=(409,),
    summary="Offer times with a mediator to the parties (times optional: the first free ones)",
)
async def propose(call: Call[m.Proposal, Any]) -> web.Response:
    svc, body = booking(call), call.body
    view = await svc.flow.propose(
        call.path("code"),
        body.mediator_id,
        await actor(call),
        times=parse_times(body.times, "times", svc.config.tz),
        mode=body.mode,
        place=body.place or None,
    )
    return created(view)


@routes.post(
    P + "/cases/{code}/bookings",
    "booking.manage",
    case=by_case(),
    body=m.FixedTime,
    response=m.BookingView,
    errors=(409,),
    summary="Book a fixed time at once (arranged by phone); the parties still confirm it",
)
async def book(call: Call[m.FixedTime, Any]) -> web.Response:
    svc, body = booking(call), call.body
    view = await svc.flow.book(
        call.path("code"),
        body.mediator_id,
        parse_time(body.starts_at, "starts_at", svc.config.tz),
        await actor(call),
        mode=body.mode,
        place=body.place or None,
    )
    return created(view)


def created(view: dict[str, Any]) -> web.Response:
    return reply(view, status=201)


@routes.get(
    P + "/cases/{code}/bookings",
    "booking.view",
    case=by_case(),
    response=list[m.BookingView],
    summary="Bookings of a case, newest first",
)
async def case_bookings(call: Call[Any, Any]) -> Any:
    return await booking(call).flow.for_case(call.path("code"))


# --- staff and mediators: one booking --------------------------------------------------------


@routes.get(
    P + "/bookings/{id:\\d+}",
    "booking.view",
    case=by_booking(),
    response=m.BookingView,
    summary="One booking (staff, or its mediator)",
)
async def get_booking(call: Call[Any, Any]) -> Any:
    return await booking(call).flow.get(call.path_id(), await actor(call))


ACTIONS = ("accept", "decline", "cancel", "reschedule", "complete", "no_show", "notes")


@routes.post(
    P + "/bookings/{id:\\d+}/{action}",
    "booking.manage",
    case=by_booking(),
    body=m.Action,
    response=m.BookingView,
    errors=(409,),
    summary="Act on a booking: accept, decline, cancel, reschedule (reason required for the "
    "last three), complete {outcome, notes}, no_show {party_ids}, notes {notes}",
)
async def booking_action(call: Call[m.Action, Any]) -> Any:
    action = call.path("action")
    if action not in ACTIONS:
        raise errors.NotFound("not_found", "未知操作")
    svc, body = booking(call), call.body
    flow, booking_id, who = svc.flow, call.path_id(), await actor(call)
    if action == "accept":
        return await flow.accept(booking_id, who)
    if action == "decline":
        return await flow.decline(booking_id, who, body.reason)
    if action == "cancel":
        return await flow.cancel(booking_id, who, body.reason)
    if action == "reschedule":
        times = parse_times(body.times, "times", svc.config.tz)
        return await flow.reschedule(booking_id, who, body.reason, times=times)
    if action == "complete":
        return await flow.complete(booking_id, who, body.outcome, body.notes or None)
    if action == "no_show":
        return await flow.no_show(booking_id, who, body.party_ids, body.notes or None)
    return await flow.set_notes(booking_id, who, body.notes or "")


# --- mediators: calendar, free slots, subsidy, absences --------------------------------------


@routes.get(
    P + "/me",
    "staff",
    errors=(404,),
    summary="The signed-in user's mediator record, if any, with their calendar feed",
)
async def me(call: Call[Any, Any]) -> Any:
    who = await actor(call)
    if who.mediator_id is None:
        # Staff who read every calendar choose one; anyone else needs a registry entry.
        if who.staff:
            raise errors.NotFound("not_a_mediator", texts.E_MEDIATOR_NOT_FOUND)
        raise errors.NotFound("not_in_registry", texts.E_NOT_IN_REGISTRY)
    return await mediator_view(call, who.mediator_id, with_feed=True)


async def mediator_view(call: Call[Any, Any], mediator_id: int, with_feed: bool = False) -> Any:
    svc = booking(call)
    found = await svc.registry.mediator(mediator_id)
    if found is None:
        raise errors.NotFound("mediator_not_found", texts.E_MEDIATOR_NOT_FOUND)
    feed = svc.links.feed_url(found.ics_token) if with_feed else None
    return views.mediator_view(found, await svc.registry.hours_text(found.id), feed)


@routes.get(
    P + "/mediators/{id:\\d+}/calendar",
    "calendar.view",
    query=m.Week,
    response={"type": "object"},
    summary="A mediator's calendar: bookings in a range (default: this week, 1-62 days) and "
    "those awaiting a time",
)
async def calendar(call: Call[Any, m.Week]) -> Any:
    mediator_id = call.path_id()
    own_calendar(await actor(call), mediator_id)
    calendars = booking(call).calendars
    if call.query.start:
        start = parse_time(call.query.start, "from", calendars.config.tz)
    else:
        start = calendars.this_week()
    days = min(max(call.query.days, 1), 62)
    return await calendars.week(mediator_id, start, start + timedelta(days=days))


@routes.get(
    P + "/mediators/{id:\\d+}/subsidy",
    "calendar.view",
    query=m.Year,
    response={"type": "array", "items": {"type": "object"}},
    errors=(404,),
    summary="一案一补: a mediator's finished cases and subsidy by month (default: this year)",
)
async def subsidy(call: Call[Any, m.Year]) -> Any:
    mediator_id = call.path_id()
    own_calendar(await actor(call), mediator_id)
    calendars = booking(call).calendars
    return await calendars.subsidy(mediator_id, call.query.year or calendars.this_year())


@routes.post(
    P + "/mediators/{id:\\d+}/absences",
    "calendar.manage",
    body=m.Absence,
    summary="Record an absence (leave, training, a court day) for a mediator: staff who "
    "manage calendars, or the mediator",
)
async def add_absence(call: Call[m.Absence, Any]) -> web.Response:
    svc, body, mediator_id = booking(call), call.body, call.path_id()
    who = await actor(call)
    everyone = policy.staff_scope(call.staff.user.role, "calendar.manage") == "all"
    if not everyone and who.mediator_id != mediator_id:
        raise errors.Forbidden("forbidden", texts.E_NOT_YOURS)
    absence = await svc.registry.add_absence(
        mediator_id,
        parse_time(body.starts_at, "starts_at", svc.config.tz),
        parse_time(body.ends_at, "ends_at", svc.config.tz),
        body.reason,
        who.name,
    )
    return created({"id": absence})


# --- registry --------------------------------------------------------------------------------


@routes.get(
    P + "/registry",
    "registry.view",
    response={"type": "object"},
    summary="Organisations and mediators in the registry",
)
async def registry(call: Call[Any, Any]) -> Any:
    reg = booking(call).registry
    return views.registry_view(await reg.organisations(), await reg.mediators())


@routes.post(
    P + "/registry/{kind}",
    "registry.manage",
    body=m.Entry,
    errors=(404,),
    summary="Create or update one organisation or mediator (by code)",
)
async def save_entry(call: Call[m.Entry, Any]) -> Any:
    kind = call.path("kind")
    if kind not in KINDS:
        raise errors.NotFound("not_found", "未知类型")
    row = {
        k: ";".join(map(str, v)) if isinstance(v, list) else str(v)
        for k, v in call.body.model_dump().items()
        if v is not None
    }
    reg, who = booking(call).registry, await actor(call)
    if kind == "organisations":
        org = await reg.save_organisation(row, who.name)
        return {"code": org.code, "name": org.name}
    saved = await reg.save_mediator(row, who.name)
    return await mediator_view(call, saved.id)


@routes.post(
    P + "/registry/{kind}/import",
    "registry.manage",
    body_media_type="text/csv",
    body_schema={"type": "string"},
    response={
        "type": "object",
        "properties": {
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "errors": {"type": "array", "items": {"type": "string"}},
        },
    },
    errors=(400, 404),
    summary="Import organisations or mediators from CSV (UTF-8, header row); all or nothing",
)
async def import_csv(call: Call[Any, Any]) -> web.Response:
    kind = call.path("kind")
    if kind not in KINDS:
        raise errors.NotFound("not_found", "未知类型")
    try:
        text = (await call.request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise errors.BadRequest("bad_encoding", "请使用 UTF-8 编码的 CSV 文件") from None
    who = await actor(call)
    report = await booking(call).registry.import_csv(kind, text, who.name)
    found = {"created": report.created, "updated": report.updated, "errors": report.errors}
    return reply(found, status=400 if report.errors else 200)


# --- parties, by their booking link ----------------------------------------------------------


@routes.get(
    P + "/party/{token}",
    "booking.party",
    response=m.PartyBooking,
    summary="A party's view of their booking: offered times, who has confirmed",
    **PARTY,
)
async def party_view(call: Call[Any, Any]) -> Any:
    svc, token = booking(call), call.path("token")
    view = await svc.parties.view(token)
    if view.get("status") == "confirmed":
        # Inside the room window of a confirmed video booking, the party's own join link.
        view["room"] = await room_doors.party_room(
            call.app, view, svc.links.open(token).case_party_id
        )
    return view


@routes.post(
    P + "/party/{token}/confirm",
    "booking.party",
    body=m.PartyConfirm,
    response=m.PartyBooking,
    errors=(409,),
    summary="A party confirms one offered time; consent to mediation is recorded with it",
    **PARTY,
)
async def party_confirm(call: Call[m.PartyConfirm, Any]) -> Any:
    body = call.body
    return await booking(call).parties.confirm(
        call.path("token"), body.slot_id, consent=body.consent
    )


@routes.post(
    P + "/party/{token}/reschedule",
    "booking.party",
    body=m.PartyReschedule,
    response=m.PartyBooking,
    errors=(409,),
    summary="A party asks for other times, with a reason",
    **PARTY,
)
async def party_reschedule(call: Call[m.PartyReschedule, Any]) -> Any:
    return await booking(call).parties.reschedule(call.path("token"), call.body.reason)


@routes.post(
    P + "/party/{token}/mediator",
    "booking.party",
    body=m.PartyPick,
    response=m.PartyBooking,
    errors=(409,),
    summary="The applicant picks one of the top recommended mediators (mediator_id null: the "
    "first); the parties then get that mediator's free times",
    **PARTY,
)
async def party_pick(call: Call[m.PartyPick, Any]) -> Any:
    body = call.body
    return await booking(call).parties.pick(call.path("token"), body.mediator_id, mode=body.mode)


# --- calendar feed ---------------------------------------------------------------------------


@routes.get(
    P + "/feeds/{token}.ics",
    "public",  # the feed's own secret token is checked by the service
    media_type="text/calendar",
    errors=(404,),
    summary="A mediator's sessions as an iCalendar feed; the token is the secret",
)
async def feed(call: Call[Any, Any]) -> web.Response:
    text = await booking(call).calendars.feed_text(call.path("token"))
    return web.Response(
        text=text,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def setup(app: web.Application, services: BookingServices | None = None) -> None:
    """Register the routes; the services are under keys.BOOKING (the app's services context),
    or passed here for a standalone app."""
    if services is not None:
        app[keys.BOOKING] = services
    routes.setup(app)
