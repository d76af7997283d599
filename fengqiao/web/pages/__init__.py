"""Pages for people: the staff console, the leaders' dashboard, the residents' H5 pages."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from fengqiao import keys
from fengqiao.web.kit.pages import make_templates
from fengqiao.web.pages import (
    agreements,
    booking,
    case_booking,
    case_link_sms,
    console,
    dashboard,
    documents,
)

STATIC = Path(__file__).resolve().parent.parent / "static"


def setup(app: web.Application) -> None:
    app[keys.TEMPLATES] = make_templates()
    console.routes.setup(app)
    agreements.routes.setup(app)
    case_booking.routes.setup(app)
    case_link_sms.routes.setup(app)
    dashboard.routes.setup(app)
    documents.setup(app)
    booking.setup(app)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
