"""Builds booking's pieces once, for the app, the command line and the demo.

Called from the composition root (`fengqiao.services`), which supplies what booking cannot
make itself: the database, the platform's one token signer and, in tests, a clock and a sink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fengqiao.booking.calendars import Calendars
from fengqiao.booking.config import BookingConfig, load_config
from fengqiao.booking.flow import BookingFlow
from fengqiao.booking.links import PartyLinks
from fengqiao.booking.notices import BookingNotices, NoticeSink, default_sink
from fengqiao.booking.parties import Parties
from fengqiao.booking.recommend import Recommender
from fengqiao.booking.registry import Registry
from fengqiao.booking.schedule import Schedule
from fengqiao.booking.store import BookingStore
from fengqiao.booking.views import BookingViews
from fengqiao.settings import Settings
from fengqiao.storage.db import Database
from fengqiao.storage.models import utcnow
from fengqiao.tokens import Signer


@dataclass(frozen=True)
class BookingServices:
    """Booking's services, each for one concern; the edges call these."""

    config: BookingConfig
    clock: Callable[[], datetime]
    store: BookingStore
    links: PartyLinks
    registry: Registry  # organisations and mediators
    recommender: Recommender  # mediators for a case
    flow: BookingFlow  # a booking's life, for staff and mediators
    parties: Parties  # the same, through a party's link
    calendars: Calendars  # calendars, feeds, subsidy


def build_booking(
    db: Database,
    settings: Settings,
    signer: Signer,
    *,
    notices: NoticeSink | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> BookingServices:
    config = load_config(settings.config_dir)
    store = BookingStore(db, notices or default_sink())
    links = PartyLinks(signer, settings.public_url)
    schedule = Schedule(config)
    views = BookingViews(config, links)
    recommender = Recommender(store, schedule, views, config, clock)
    flow = BookingFlow(store, schedule, views, BookingNotices(config, links, clock), config, clock)
    return BookingServices(
        config=config,
        clock=clock,
        store=store,
        links=links,
        registry=Registry(db),
        recommender=recommender,
        flow=flow,
        parties=Parties(store, links, views, flow, recommender, config),
        calendars=Calendars(store, schedule, views, links, config, clock),
    )
