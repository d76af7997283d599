"""The JSON API, one module per capability; ``setup(app)`` registers them all."""

from __future__ import annotations

from aiohttp import web

from fengqiao.web.api import (
    booking,
    documents,
    me,
    me_booking,
    me_channels,
    messages,
    public,
    rooms,
    stats,
    trust,
)


def setup(app: web.Application) -> None:
    public.routes.setup(app)
    stats.routes.setup(app)
    documents.routes.setup(app)
    me.routes.setup(app)
    me_booking.routes.setup(app)
    messages.routes.setup(app)
    me_channels.routes.setup(app)
    trust.routes.setup(app)
    rooms.setup(app)
    booking.setup(app)
