"""One resident, every channel that reaches them.

A person (table ``people``) is one record; ``person_channels`` holds each way to reach them:
the official-account openid (``mp``), the mini-program openid (``wxa``), the ``unionid``
WeChat gives for both when the two accounts are bound to one open platform, and a ``phone``
verified through the mini-program's phone authorisation. Openids are per AppID: an ``mp``
openid is only ever written to through the official account and a ``wxa`` one through the
mini-program; the unionid is what says the two belong to one person, and when a login or a
user-info answer shows it, the two records become one (``merge``).

Every lookup "whose cases / which party is this openid" goes through ``persons_of_openid``,
so a case filed through one channel is found from any other channel of the same person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.storage.db import Database
from fengqiao.storage.models import (
    Case,
    CaseParty,
    OutboxMessage,
    Person,
    PersonChannel,
    utcnow,
)

WECHAT = ("mp", "wxa")  # openids; each reachable only through its own AppID
# Every identity a resident writes to the intake dialog from: the WeChat openids and the
# terminal's (`fengqiao chat`) user id. Filing binds it to the person, so "进度" and the
# case link find the person's cases from it; only WECHAT ones can be sent to.
WRITES_FROM = (*WECHAT, "cli")
# How a notice prefers to reach a person: the mini-program's subscribe message (when the
# person granted one), then the official account, then SMS to a verified phone.
ORDER = ("wxa", "mp", "phone")
NAMES = {"mp": "公众号", "wxa": "小程序", "phone": "短信"}


@dataclass(frozen=True)
class Channel:
    kind: str
    address: str
    verified: bool = False


def persons_of_openid(openid: str) -> Select[Any]:
    """The person (as a subquery) behind a WeChat openid of either account."""
    return select(PersonChannel.person_id).where(
        PersonChannel.kind.in_(WECHAT), PersonChannel.address == openid
    )


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(PersonChannel)


async def person_of(session: AsyncSession, kind: str, address: str) -> int | None:
    found = await session.scalar(
        select(PersonChannel.person_id).where(
            PersonChannel.kind == kind, PersonChannel.address == address
        )
    )
    return int(found) if found is not None else None


async def channels_of(session: AsyncSession, person_id: int) -> list[Channel]:
    rows = await session.scalars(
        select(PersonChannel).where(PersonChannel.person_id == person_id).order_by(
            PersonChannel.id
        )
    )
    return [Channel(r.kind, r.address, r.verified_at is not None) for r in rows.all()]


async def reachable(session: AsyncSession, person_id: int) -> list[Channel]:
    """The person's channels a message can go through, in the order notices prefer them
    (a phone only once verified)."""
    found = [
        c
        for c in await channels_of(session, person_id)
        if c.kind in WECHAT or (c.kind == "phone" and c.verified)
    ]
    return sorted(found, key=lambda c: ORDER.index(c.kind))


async def attach(
    session: AsyncSession,
    person_id: int,
    kind: str,
    address: str,
    *,
    verified_at: datetime | None = None,
) -> None:
    """Give ``person_id`` the channel; a channel that already is someone's stays theirs
    (callers merge first when the unionid says it is the same person)."""
    await session.execute(
        _insert(session)
        .values(
            person_id=person_id,
            kind=kind,
            address=address,
            verified_at=verified_at,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["kind", "address"])
    )


async def ensure_person(session: AsyncSession, channel: str, openid: str) -> int:
    """The person behind (channel, openid), created with that one channel if new."""
    found = await person_of(session, channel, openid)
    if found is not None:
        return found
    person = await session.scalar(
        select(Person).where(Person.channel == channel, Person.openid == openid)
    )
    if person is None:
        person = Person(channel=channel, openid=openid, created_at=utcnow())
        session.add(person)
        await session.flush()
    await attach(session, person.id, channel, openid)
    return await person_of(session, channel, openid) or person.id


async def merge(session: AsyncSession, keep: int, drop: int) -> None:
    """``drop`` turns out to be ``keep`` (same unionid): its cases, channels and what it knew
    move to ``keep``, and the record goes."""
    if keep == drop:
        return
    kept, dropped = await session.get(Person, keep), await session.get(Person, drop)
    if kept is None or dropped is None:
        return
    for field in ("name", "phone", "id_number", "privacy_consent_at"):
        if getattr(kept, field) is None:
            setattr(kept, field, getattr(dropped, field))
    await session.execute(
        update(CaseParty).where(CaseParty.person_id == drop).values(person_id=keep)
    )
    await session.execute(update(Case).where(Case.applicant_id == drop).values(applicant_id=keep))
    await session.execute(
        update(PersonChannel).where(PersonChannel.person_id == drop).values(person_id=keep)
    )
    await session.flush()
    await session.execute(delete(Person).where(Person.id == drop))


async def party_channels(session: AsyncSession, case_id: int) -> dict[int, list[str]]:
    """For each party of the case, the kinds of channel that reach them (mp, wxa, phone): a
    WeChat identity, a verified phone, or a phone staff or the applicant wrote down."""
    rows = (
        await session.execute(
            select(CaseParty.id, CaseParty.phone, PersonChannel.kind, PersonChannel.verified_at)
            .outerjoin(PersonChannel, PersonChannel.person_id == CaseParty.person_id)
            .where(CaseParty.case_id == case_id)
        )
    ).all()
    found: dict[int, set[str]] = {}
    for party_id, phone, kind, verified_at in rows:
        kinds = found.setdefault(int(party_id), set())
        if kind in WECHAT or (kind == "phone" and verified_at is not None):
            kinds.add(str(kind))
        if phone:
            kinds.add("phone")
    return {p: [k for k in ORDER if k in kinds] for p, kinds in found.items()}


async def addressees(session: AsyncSession, case_id: int) -> dict[str, int]:
    """Each WeChat address of the case's parties (an outbox row's openid) -> the party."""
    rows = (
        await session.execute(
            select(PersonChannel.address, CaseParty.id)
            .join(CaseParty, PersonChannel.person_id == CaseParty.person_id)
            .where(CaseParty.case_id == case_id)
        )
    ).all()
    return {str(address): int(party_id) for address, party_id in rows}


async def undelivered(session: AsyncSession, case_id: int) -> dict[int, str]:
    """For each party, why the latest notice that could not be delivered to them was not:
    what staff need to reach the party another way."""
    rows = (
        await session.execute(
            select(CaseParty.id, OutboxMessage.last_error)
            .join(PersonChannel, PersonChannel.person_id == CaseParty.person_id)
            .join(
                OutboxMessage,
                (OutboxMessage.openid == PersonChannel.address)
                & (OutboxMessage.case_id == CaseParty.case_id),
            )
            .where(CaseParty.case_id == case_id, OutboxMessage.status == "undeliverable")
            .order_by(OutboxMessage.id)
        )
    ).all()
    return {int(party_id): str(reason or "") for party_id, reason in rows}


class IdentityMixin:
    """The case service's side of identity: what logins and phone authorisation tell."""

    db: Database

    async def link(self, channel: str, openid: str, unionid: str | None = None) -> int:
        """Record that (channel, openid) reached us, with the unionid WeChat gave if any; two
        records with one unionid become one person. Returns the person's id."""
        async with self.db.transaction() as session:
            person_id = await ensure_person(session, channel, openid)
            if not unionid:
                return person_id
            owner = await person_of(session, "unionid", unionid)
            if owner is None:
                await attach(session, person_id, "unionid", unionid)
                return person_id
            await merge(session, keep=owner, drop=person_id)
            return owner

    async def verify_phone(self, channel: str, openid: str, phone: str) -> int:
        """A phone number WeChat verified for this resident: it becomes their SMS channel
        (moving from whoever verified it before: the number is now this person's)."""
        now = utcnow()
        async with self.db.transaction() as session:
            person_id = await ensure_person(session, channel, openid)
            # The number leaves its former holder: the case links their parties were sent
            # (texted to that number, too) are void (cases/case_link.py).
            former = select(PersonChannel.person_id).where(
                PersonChannel.kind == "phone",
                PersonChannel.address == phone,
                PersonChannel.person_id != person_id,
            )
            await session.execute(
                update(CaseParty)
                .where(CaseParty.person_id.in_(former))
                .values(link_generation=CaseParty.link_generation + 1)
            )
            await session.execute(
                update(PersonChannel)
                .where(PersonChannel.kind == "phone", PersonChannel.address == phone)
                .values(person_id=person_id, verified_at=now)
            )
            await attach(session, person_id, "phone", phone, verified_at=now)
            person = await session.get(Person, person_id)
            if person is not None:
                person.phone = phone
            return person_id

    async def channels_of_openid(self, openid: str) -> list[Channel]:
        async with self.db.read() as session:
            person_id = await session.scalar(persons_of_openid(openid).limit(1))
            return [] if person_id is None else await channels_of(session, int(person_id))
