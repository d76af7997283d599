"""Builds the booking service once, for the app, the command line and the demo."""

from __future__ import annotations

from fengqiao.booking.config import load_config
from fengqiao.booking.notices import NoticeSink, default_sink
from fengqiao.booking.service import BookingService
from fengqiao.settings import Settings
from fengqiao.storage.db import Database


def build_booking(
    db: Database, settings: Settings, notices: NoticeSink | None = None
) -> BookingService:
    service = BookingService(
        db,
        load_config(settings.config_dir),
        notices or default_sink(),
        secret=settings.secret,
        public_url=settings.public_url,
    )
    return service
