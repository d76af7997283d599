"""A mediator's free time and the times booking may offer or take: the conflict rules.

Free time = weekly hours on the working-day calendar − absences − bookings that hold time
(see `availability`); the rows come from the store, in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from fengqiao.booking import texts
from fengqiao.booking.availability import Interval, slots, spread, subtract, working_intervals
from fengqiao.booking.config import BookingConfig
from fengqiao.booking.errors import Conflict, Invalid
from fengqiao.booking.store import BookingTx


class Schedule:
    def __init__(self, config: BookingConfig) -> None:
        self.config = config

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """From the earliest bookable moment to the end of the horizon."""
        start = now + timedelta(hours=self.config.lead_hours)
        return start, start + timedelta(days=self.config.horizon_days)

    async def free_time(
        self,
        tx: BookingTx,
        mediator_ids: Sequence[int],
        start: datetime,
        end: datetime,
        *,
        ignore_booking: int | None = None,
    ) -> dict[int, list[Interval]]:
        """Free intervals of each mediator between start and end."""
        ids = list(mediator_ids)
        hours = await tx.weekly_hours(ids)
        busy = await tx.busy(ids, start, end, ignore_booking)
        return {
            i: subtract(working_intervals(hours[i], start, end, self.config), busy[i]) for i in ids
        }

    async def first_slots(
        self, tx: BookingTx, mediator_id: int, now: datetime, limit: int
    ) -> list[Interval]:
        start, end = self.window(now)
        free = await self.free_time(tx, [mediator_id], start, end)
        return slots(free[mediator_id], self.config, limit)

    async def offer(
        self,
        tx: BookingTx,
        mediator_id: int,
        now: datetime,
        times: list[datetime] | None,
        ignore: int | None = None,
    ) -> list[Interval]:
        """The times asked for (each must be free), or free ones spread over the horizon."""
        length = timedelta(minutes=self.config.slot_minutes)
        if times:
            offered = []
            for start in times:
                await self.check_free(tx, mediator_id, start, start + length, ignore, now)
                offered.append((start, start + length))
            return offered
        start, end = self.window(now)
        free = await self.free_time(tx, [mediator_id], start, end, ignore_booking=ignore)
        offered = spread(slots(free[mediator_id], self.config), self.config.offer_slots)
        if not offered:
            raise Conflict("no_free_time", texts.R_NOT_SOON.format(days=self.config.horizon_days))
        return offered

    async def check_free(
        self,
        tx: BookingTx,
        mediator_id: int,
        start: datetime,
        end: datetime,
        ignore: int | None,
        now: datetime,
    ) -> None:
        """Refuse a time in the past, outside the mediator's hours, or held by another booking."""
        if start.tzinfo is None:
            raise Invalid("naive_time", texts.E_NAIVE_TIME)
        if start <= now:
            raise Invalid("past", texts.E_PAST)
        free = await self.free_time(tx, [mediator_id], start, end, ignore_booking=ignore)
        if not any(lo <= start and end <= hi for lo, hi in free[mediator_id]):
            if await tx.holder(mediator_id, start, end, ignore) is not None:
                raise Conflict("slot_taken", texts.E_SLOT_TAKEN)
            raise Conflict("outside_hours", texts.E_OUTSIDE_HOURS)
