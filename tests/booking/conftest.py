"""Booking fixtures: a small registry, filed cases, a fixed clock and a recording notice sink."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fengqiao.booking.actor import Actor
from fengqiao.booking.build import BookingServices, build_booking
from fengqiao.booking.notices import MemorySink
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.tokens import Signer

# Monday 2026-11-23 08:00 in Shanghai.
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
STAFF = Actor("staff:window", staff=True)

DATA = Path(__file__).parent / "data"
ORGS_CSV = (DATA / "organisations.csv").read_text("utf-8")
MEDIATORS_CSV = (DATA / "mediators.csv").read_text("utf-8")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    services: Any
    booking: BookingServices
    sink: MemorySink
    clock: Clock
    mediators: dict[str, int]

    async def file(
        self,
        key: str,
        type_code: str = "labor",
        type_name: str = "劳动争议",
        region: str | None = "城关镇",
        answers: dict[str, Any] | None = None,
    ) -> str:
        filed = await self.services.cases.file_case(
            NewCase(
                description="拖欠工资",
                channel="mp",
                actor="test",
                type_code=type_code,
                type_name=type_name,
                risk="blue",
                region=region,
                applicant=PartyInfo(
                    name="王建国", phone="13800000001", openid=f"o-{key}", channel="mp"
                ),
                respondent=PartyInfo(name="刘某", phone="13900000002"),
                answers=answers or {},
                intake_key=key,
            )
        )
        return filed.code


@pytest.fixture(autouse=True)
def shared_analyzer_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: Any) -> None:
    """The real analyzer, trained once per test run instead of once per test's data dir."""
    import fengqiao.services

    cache = tmp_path_factory.getbasetemp() / "nlp-cache"
    real = fengqiao.services.get_analyzer
    monkeypatch.setattr(
        fengqiao.services, "get_analyzer", lambda config_dir, _cache: real(config_dir, cache)
    )


@pytest.fixture
async def world(services: Any) -> World:
    sink = MemorySink()
    clock = Clock(NOW)
    settings = services.settings
    booking = build_booking(
        services.db, settings, Signer(settings.secret), notices=sink, clock=clock
    )
    report = await booking.registry.import_csv("organisations", ORGS_CSV, "test")
    assert report.errors == []
    report = await booking.registry.import_csv("mediators", MEDIATORS_CSV, "test")
    assert report.errors == [], report.errors
    ids = {m.code: m.id for m in await booking.registry.mediators()}
    return World(services, booking, sink, clock, ids)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in Shanghai in the fixture's week of November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)
