"""One resident across channels: the unionid joins an official-account follower and a
mini-program user into one person, whose cases are found from either openid."""

from __future__ import annotations

from sqlalchemy import func, select

from fengqiao.cases.mine import cases_of
from fengqiao.cases.scope import CaseScopes
from fengqiao.cases.service import PartyInfo
from fengqiao.storage.models import Case, CaseParty, Person, PersonChannel
from tests.cases.helpers import resident_case


async def _channels(db, person_id):
    async with db.read() as session:
        rows = await session.scalars(
            select(PersonChannel).where(PersonChannel.person_id == person_id)
        )
        return sorted((r.kind, r.address) for r in rows.all())


async def test_a_login_with_the_same_unionid_joins_two_records_into_one(services):
    cases = services.cases
    mp_case = await cases.file_case(resident_case(1))  # official account, openid-1
    wxa_case = await cases.file_case(
        resident_case(2, applicant=PartyInfo(name="王小明", openid="wxa-1", channel="wxa"))
    )
    scopes = CaseScopes(services.db)
    assert await scopes.party_of_openid(mp_case.id, "wxa-1") is None  # strangers so far
    assert await cases.link("mp", "openid-1", "union-1") == await cases.link("mp", "openid-1")
    person = await cases.link("wxa", "wxa-1", "union-1")
    assert await _channels(services.db, person) == [
        ("mp", "openid-1"),
        ("unionid", "union-1"),
        ("wxa", "wxa-1"),
    ]
    async with services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1
        applicants = (await session.scalars(select(Case.applicant_id))).all()
        parties = (await session.scalars(select(CaseParty.person_id))).all()
    assert set(applicants) == {person} and set(p for p in parties if p) == {person}
    for openid in ("openid-1", "wxa-1"):
        assert {c["code"] for c in await cases_of(services.db, openid)} == {
            mp_case.code,
            wxa_case.code,
        }
        assert await scopes.party_of_openid(mp_case.id, openid) is not None
    # The dialog's 进度 lists both from either account too.
    assert len(await cases.cases_of("wxa", "wxa-1")) == 2
    # A later filing from the mini-program lands on the same person.
    third = await cases.file_case(
        resident_case(3, applicant=PartyInfo(name="王小明", openid="wxa-1", channel="wxa"))
    )
    assert third.code in {c["code"] for c in await cases_of(services.db, "openid-1")}


async def test_another_unionid_stays_another_person(services):
    cases = services.cases
    await cases.file_case(resident_case(1))
    a = await cases.link("mp", "openid-1", "union-a")
    b = await cases.link("wxa", "wxa-2", "union-b")
    assert a != b
    assert await cases_of(services.db, "wxa-2") == []


async def test_a_verified_phone_becomes_the_persons_sms_channel(services):
    cases = services.cases
    person = await cases.verify_phone("wxa", "wxa-9", "13912345678")
    assert ("phone", "13912345678") in await _channels(services.db, person)
    # Verified again by someone else: the number is theirs now.
    other = await cases.verify_phone("wxa", "wxa-10", "13912345678")
    assert ("phone", "13912345678") not in await _channels(services.db, person)
    assert ("phone", "13912345678") in await _channels(services.db, other)
