"""No double booking: many concurrent requests for overlapping times give exactly one booking."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from fengqiao.booking.errors import BookingError
from fengqiao.storage.models import Booking, Mediator
from tests.booking.conftest import STAFF, local

REQUESTS = 100


async def held(world, mediator_id):
    async with world.services.db.read() as session:
        return await session.scalar(
            select(func.count()).where(
                Booking.mediator_id == mediator_id,
                Booking.status.in_(("pending", "confirmed")),
            )
        )


async def test_concurrent_overlapping_requests_book_once(world):
    m = world.mediators["M001"]
    async with world.services.db.transaction() as session:
        (await session.get(Mediator, m)).capacity = REQUESTS + 5
    codes = [await world.file(f"conc-{i}") for i in range(REQUESTS)]
    base = local(24, 9)
    # Every request overlaps every other: all contain 09:50-10:00.
    starts = [base + timedelta(minutes=i % 50) for i in range(REQUESTS)]

    async def attempt(code, start):
        try:
            return await world.booking.flow.book(code, m, start, STAFF)
        except BookingError as exc:
            return exc

    results = await asyncio.gather(*(attempt(c, s) for c, s in zip(codes, starts, strict=True)))
    booked = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, BookingError)]
    assert len(booked) == 1
    assert len(refused) == REQUESTS - 1
    assert {r.code for r in refused} == {"slot_taken"}
    assert await held(world, m) == 1
    assert (await world.services.cases.verify_audit()).ok


async def test_the_database_refuses_an_overlap_even_without_the_service(world):
    """The backstop: two transactions that skip the service's lock still cannot both hold."""
    m = world.mediators["M002"]
    code_a, code_b = await world.file("raw-a"), await world.file("raw-b")
    case_ids = [(await world.services.cases.get(c)).id for c in (code_a, code_b)]

    def row(case_id, start):
        return {
            "case_id": case_id,
            "mediator_id": m,
            "status": "pending",
            "starts_at": start,
            "ends_at": start + timedelta(hours=1),
            "mode": "onsite",
            "version": 1,
            "created_by": "raw",
            "created_at": start,
            "updated_at": start,
        }

    async with world.services.db.transaction() as session:
        await session.execute(insert(Booking).values(**row(case_ids[0], local(24, 9))))
    with pytest.raises(IntegrityError):
        async with world.services.db.transaction() as session:
            await session.execute(insert(Booking).values(**row(case_ids[1], local(24, 9, 30))))
    # touching intervals are fine ([) ranges), and a cancelled booking holds nothing
    async with world.services.db.transaction() as session:
        await session.execute(insert(Booking).values(**row(case_ids[1], local(24, 10))))
        cancelled = row(case_ids[1], local(24, 9, 15)) | {"status": "cancelled"}
        await session.execute(insert(Booking).values(**cancelled))
    with pytest.raises(IntegrityError):
        async with world.services.db.transaction() as session:
            await session.execute(
                Booking.__table__.update()
                .where(Booking.status == "cancelled")
                .values(status="pending")
            )
    assert await held(world, m) == 2


@pytest.mark.postgres
async def test_concurrent_raw_inserts_on_postgres_keep_one(world):
    """Many connections inserting overlapping holds at once, no row lock: the exclusion
    constraint alone leaves exactly one."""
    if world.services.db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite has a single writer")
    m = world.mediators["M003"]
    code = await world.file("raw-pg", type_code="traffic", type_name="交通事故纠纷")
    case_id = (await world.services.cases.get(code)).id
    base = local(24, 14)

    # Half as many at once as the pool has connections: the other requests queue here rather
    # than for a connection, whose 5 s timeout (a service setting) a slow machine exceeded
    # while conflicting inserts waited on one another; and with 20 at once a chain of inserts
    # each waiting on the one before passed the 15 s statement timeout under a full run.
    # Ten at once still race on the one slot.
    pool = asyncio.Semaphore(10)

    async def one(i):
        start = base + timedelta(minutes=i % 50)
        try:
            async with pool, world.services.db.sessions() as session, session.begin():
                await session.execute(
                    insert(Booking).values(
                        case_id=case_id,
                        mediator_id=m,
                        status="pending",
                        starts_at=start,
                        ends_at=start + timedelta(hours=1),
                        mode="onsite",
                        version=1,
                        created_by="raw",
                        created_at=start,
                        updated_at=start,
                    )
                )
            return True
        except IntegrityError:
            return False
        except DBAPIError as exc:
            # Conflicting inserts that each wait for the other are a deadlock; PostgreSQL
            # aborts one of them, which is a refusal too.
            assert "deadlock" in str(exc).lower(), exc
            return False

    results = await asyncio.gather(*(one(i) for i in range(REQUESTS)))
    assert results.count(True) == 1
    assert await held(world, m) == 1
