"""Writing notices and supervision documents inside the caller's transaction.

Notices go into the outbox (sent later by outbox.Dispatcher), documents into case_documents;
both are inserted with ON CONFLICT DO NOTHING on a dedupe key, so two workers doing the same
work produce one row, never two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao.cases import statuses, texts
from fengqiao.storage.models import (
    Case,
    CaseDocument,
    CaseParty,
    OutboxMessage,
    PersonChannel,
    StaffUser,
    utcnow,
)

LOCAL_TZ_NAME = "Asia/Shanghai"
RESIDENT_CHANNELS = ("wxa", "mp")  # a person's WeChat channels, the one notices prefer first


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def insert_once(
    session: AsyncSession, model: type[Any], values: dict[str, Any]
) -> int | None:
    """Insert a row unless one with the same dedupe_key exists; the new id, or None."""
    stmt = (
        _insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(model.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def resident_recipients(session: AsyncSession, case_id: int) -> list[tuple[str, str]]:
    """(channel, openid) of each party's person who can be reached on WeChat: one per person,
    the mini-program first (cases.reach falls back to the person's other channels when it
    sends)."""
    return [(channel, openid) for channel, openid, _ in await resident_parties(session, case_id)]


async def resident_parties(session: AsyncSession, case_id: int) -> list[tuple[str, str, int]]:
    """(channel, openid, party id) of each party's person who can be reached on WeChat, as
    resident_recipients; the party is the one a notice's case link is made for."""
    rows = await session.execute(
        select(PersonChannel.person_id, PersonChannel.kind, PersonChannel.address, CaseParty.id)
        .join(CaseParty, CaseParty.person_id == PersonChannel.person_id)
        .where(CaseParty.case_id == case_id, PersonChannel.kind.in_(RESIDENT_CHANNELS))
        .distinct()
    )
    best: dict[int, tuple[str, str, int]] = {}
    for person_id, kind, address, party_id in sorted(
        rows.all(), key=lambda r: (r[0], RESIDENT_CHANNELS.index(r[1]), r[2], r[3])
    ):
        best.setdefault(int(person_id), (str(kind), str(address), int(party_id)))
    return list(best.values())


async def enqueue_status(
    session: AsyncSession,
    case: Case,
    *,
    event: str,
    change_id: int,
    remark: str,
    public_url: str,
    at: datetime,
    kind: str = "status",
) -> int:
    """Queue a status notice to every reachable party; returns how many were queued. The
    notice names the party: the dispatcher sends it with that party's own case link
    (cases.case_link), minted when it is sent; ``url`` (public progress) is the fallback."""
    queued = 0
    url = f"{public_url.rstrip('/')}/h5/progress?code={case.code}"
    for channel, openid, party_id in await resident_parties(session, case.id):
        payload = {
            "party_id": party_id,
            "code": case.code,
            "status": case.status,
            "status_name": statuses.NAMES.get(case.status, case.status),
            "event": event,
            "time": at.isoformat(timespec="seconds"),
            "remark": remark,
            "url": url,
        }
        new_id = await insert_once(
            session,
            OutboxMessage,
            {
                "case_id": case.id,
                "channel": channel,
                "openid": openid,
                "kind": kind,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": at,
                "dedupe_key": f"{kind}:{change_id}:{channel}:{openid}",
                "created_at": at,
            },
        )
        queued += new_id is not None
    return queued


async def staff_recipients(
    session: AsyncSession, *, assignee: str | None, organisation: str | None, leaders: bool
) -> list[StaffUser]:
    """Who a supervision document is for: the assignee, else the organisation's staff; plus
    the leaders when asked."""
    query = select(StaffUser).where(StaffUser.active.is_(True))
    people: list[StaffUser] = []
    if assignee:
        people += (await session.scalars(query.where(StaffUser.username == assignee))).all()
    elif organisation:
        people += (await session.scalars(query.where(StaffUser.organisation == organisation))).all()
    if leaders:
        people += (await session.scalars(query.where(StaffUser.role == "leader"))).all()
    seen: dict[str, StaffUser] = {p.username: p for p in people}
    return list(seen.values())


async def issue_document(
    session: AsyncSession,
    *,
    case: Case | None,
    kind: str,
    dedupe_key: str,
    issued_by: str,
    recipients: list[StaffUser],
    fallback_recipient: str,
    fields: dict[str, Any],
    public_url: str,
    task_id: int | None = None,
    at: datetime | None = None,
) -> int | None:
    """Issue one supervision document (once per dedupe key) and queue a WeChat notice to each
    recipient who has an openid. Returns the document id, or None if it already existed."""
    now = at or utcnow()
    names = "、".join(r.display_name for r in recipients) or fallback_recipient
    body = texts.DOC_BODY[kind].format(recipient=names, **fields)
    doc_id = await insert_once(
        session,
        CaseDocument,
        {
            "case_id": case.id if case else None,
            "task_id": task_id,
            "kind": kind,
            "title": texts.DOC_TITLES[kind],
            "body": body,
            "recipient": names[:128],
            "issued_by": issued_by,
            "dedupe_key": dedupe_key,
            "created_at": now,
        },
    )
    if doc_id is None:
        return None
    for person in recipients:
        if not person.openid:
            continue
        await insert_once(
            session,
            OutboxMessage,
            {
                "case_id": case.id if case else None,
                "channel": "mp",
                "openid": person.openid,
                "kind": "supervision",
                "payload": {
                    "code": case.code if case else "",
                    "status": case.status if case else "",
                    "status_name": texts.DOC_TITLES[kind],
                    "event": kind,
                    "time": now.isoformat(timespec="seconds"),
                    "remark": body[:180],
                    "url": f"{public_url.rstrip('/')}/console/cases/{case.code}" if case else "",
                },
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "dedupe_key": f"doc:{doc_id}:{person.username}",
                "created_at": now,
            },
        )
    return doc_id
