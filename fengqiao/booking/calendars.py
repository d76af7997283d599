"""A mediator's time as others read it: the calendar page, the .ics feed, free slots, and the
subsidy report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fengqiao.booking import ics, reports, texts
from fengqiao.booking.availability import Interval
from fengqiao.booking.config import BookingConfig
from fengqiao.booking.errors import NotFound
from fengqiao.booking.links import PartyLinks
from fengqiao.booking.schedule import Schedule
from fengqiao.booking.store import BookingStore
from fengqiao.booking.views import BookingViews
from fengqiao.storage.models import Mediator

FEED_PAST = timedelta(days=30)  # what a calendar feed shows around today
FEED_AHEAD = timedelta(days=180)


class Calendars:
    def __init__(
        self,
        store: BookingStore,
        schedule: Schedule,
        views: BookingViews,
        links: PartyLinks,
        config: BookingConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.schedule = schedule
        self.views = views
        self.links = links
        self.config = config
        self.clock = clock

    def this_week(self) -> datetime:
        """Monday 00:00 of the current week, in the centre's zone."""
        today = self.clock().astimezone(self.config.tz).date()
        monday = today - timedelta(days=today.weekday())
        return datetime(monday.year, monday.month, monday.day, tzinfo=self.config.tz)

    def this_year(self) -> int:
        return self.clock().astimezone(self.config.tz).year

    async def open_slots(self, mediator_id: int, limit: int = 20) -> list[Interval]:
        """The mediator's next free slots within the booking horizon."""
        async with self.store.read() as tx:
            return await self.schedule.first_slots(tx, mediator_id, self.clock(), limit)

    async def calendar(
        self, mediator_id: int, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """A mediator's bookings that overlap [start, end) or still wait for a time."""
        async with self.store.read() as tx:
            rows = await tx.calendar(mediator_id, start, end)
            return [await self.views.show(tx, b, with_links=False) for b in rows]

    async def week(self, mediator_id: int, start: datetime, end: datetime) -> dict[str, Any]:
        """The calendar page: bookings in the range and the next free slots."""
        items = await self.calendar(mediator_id, start, end)
        free = await self.open_slots(mediator_id, limit=40)
        return {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "bookings": items,
            "free": self.views.free(free),
        }

    async def subsidy(self, mediator_id: int, year: int) -> list[dict[str, Any]]:
        """一案一补 by month: distinct cases with a finished session, times the rate."""
        start, end = reports.year_range(year, self.config.tz)
        async with self.store.read() as tx:
            mediator = await tx.mediator(mediator_id)
            if mediator is None:
                raise NotFound("mediator_not_found", texts.E_MEDIATOR_NOT_FOUND)
            finished = await tx.completed(mediator_id, start, end)
        return reports.subsidy_by_month(finished, year, mediator.subsidy_fen, self.config.tz)

    async def feed(self, token: str) -> tuple[Mediator, list[dict[str, Any]]]:
        """The mediator whose feed token this is, and the bookings its .ics feed shows."""
        async with self.store.read() as tx:
            mediator = await tx.mediator_by_feed(token)
        if mediator is None:
            raise NotFound("feed_not_found", texts.E_MEDIATOR_NOT_FOUND)
        now = self.clock()
        return mediator, await self.calendar(mediator.id, now - FEED_PAST, now + FEED_AHEAD)

    async def feed_text(self, token: str) -> str:
        """The mediator's sessions as an iCalendar feed (cancelled ones marked so)."""
        mediator, items = await self.feed(token)
        events = [
            ics.CalendarEvent(
                uid=f"booking-{b['id']}@fengqiao",
                starts_at=datetime.fromisoformat(b["starts_at"]),
                ends_at=datetime.fromisoformat(b["ends_at"]),
                summary=texts.ICS_SUMMARY.format(code=b["case"], type_name=b["type_name"]),
                location=b["place"] or "",
                description=f"{b['status_name']} · {b['mode_name']}",
                url=self.links.console_url(b["id"]),
                sequence=b["version"],
                cancelled=b["status"] in ("cancelled", "declined"),
            )
            for b in items
            if b["starts_at"]
        ]
        return ics.render(texts.ICS_CALENDAR.format(name=mediator.name), events, self.clock())
