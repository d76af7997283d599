"""The registry of mediation organisations and mediators: edit one, or import many from CSV."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao import errors
from fengqiao.booking import texts
from fengqiao.booking.availability import WeeklyHours, format_hours, parse_hours
from fengqiao.cases import audit
from fengqiao.storage.db import Database
from fengqiao.storage.models import Mediator, MediatorAbsence, MediatorHours, Organisation

ORG_FIELDS = ("code", "name", "kind", "region", "address", "phone")
MEDIATOR_FIELDS = (
    "code",
    "name",
    "organisation",
    "title",
    "skills",
    "languages",
    "region",
    "capacity",
    "subsidy_yuan",
    "status",
    "phone",
    "username",
    "openid",
    "hours",
    "rating",
)
STATUSES = ("active", "leave", "retired")


class RegistryError(errors.BadRequest):
    """A registry entry that cannot be saved as it is (the message says why, in Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid", message)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _split(value: str) -> list[str]:
    for sep in ("；", ";", "、", "，", ","):
        value = value.replace(sep, "|")
    return [v.strip() for v in value.split("|") if v.strip()]


def mediator_values(row: dict[str, str]) -> dict[str, Any]:
    """Validate one CSV row (or form) into column values; raises RegistryError."""
    code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
    if not code or not name:
        raise RegistryError("编号和姓名必填")
    status = (row.get("status") or "active").strip() or "active"
    if status not in STATUSES:
        raise RegistryError(f"状态应为 {'/'.join(STATUSES)}")
    try:
        capacity = int(row.get("capacity") or 8)
        subsidy = round(float(row.get("subsidy_yuan") or 0) * 100)
        rating = float(row["rating"]) if (row.get("rating") or "").strip() else None
    except ValueError:
        raise RegistryError("数字格式有误：容量应为整数，补贴、评分应为数字") from None
    if capacity < 0 or subsidy < 0 or (rating is not None and not 1 <= rating <= 5):
        raise RegistryError("容量、补贴不能为负，评分在1到5之间")
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "title": (row.get("title") or "").strip() or None,
        "skills": _split(row.get("skills") or ""),
        "languages": _split(row.get("languages") or "普通话"),
        "region": (row.get("region") or "").strip() or None,
        "capacity": capacity,
        "subsidy_fen": subsidy,
        "status": status,
        "phone": (row.get("phone") or "").strip() or None,
        "username": (row.get("username") or "").strip() or None,
        "openid": (row.get("openid") or "").strip() or None,
        "rating": rating,
    }
    return values


class Registry:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- organisations ---------------------------------------------------------------------

    async def save_organisation(self, row: dict[str, str], actor: str) -> Organisation:
        async with self.db.transaction() as session:
            org, _ = await self._save_org(session, row)
            await audit.append(
                session,
                case_id=None,
                actor=actor,
                action="registry.organisation",
                detail={"code": org.code},
            )
            return org

    async def _save_org(
        self, session: AsyncSession, row: dict[str, str]
    ) -> tuple[Organisation, bool]:
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        kind = (row.get("kind") or "committee").strip()
        if not code or not name:
            raise RegistryError("编号和名称必填")
        if kind not in texts.ORG_KINDS:
            raise RegistryError(f"类型应为 {'/'.join(texts.ORG_KINDS)}")
        org = await session.scalar(select(Organisation).where(Organisation.code == code))
        created = org is None
        if org is None:
            org = Organisation(code=code, name=name, kind=kind, active=True)
            session.add(org)
        org.name, org.kind = name, kind
        for key in ("region", "address", "phone"):
            setattr(org, key, (row.get(key) or "").strip() or None)
        if "active" in row:
            org.active = str(row["active"]).strip().lower() not in ("0", "false", "no", "否")
        await session.flush()
        return org, created

    async def organisations(self) -> list[Organisation]:
        async with self.db.read() as session:
            return list(
                (await session.scalars(select(Organisation).order_by(Organisation.code))).all()
            )

    async def organisation(self, code: str) -> Organisation | None:
        async with self.db.read() as session:
            return await session.scalar(select(Organisation).where(Organisation.code == code))

    # --- mediators -------------------------------------------------------------------------

    async def save_mediator(self, row: dict[str, str], actor: str) -> Mediator:
        async with self.db.transaction() as session:
            mediator, _ = await self._save_mediator(session, row)
            await audit.append(
                session,
                case_id=None,
                actor=actor,
                action="registry.mediator",
                detail={"code": mediator.code, "status": mediator.status},
            )
            return mediator

    async def _save_mediator(
        self, session: AsyncSession, row: dict[str, str]
    ) -> tuple[Mediator, bool]:
        values = mediator_values(row)
        org_code = (row.get("organisation") or "").strip()
        org_id = None
        if org_code:
            org_id = await session.scalar(
                select(Organisation.id).where(
                    (Organisation.code == org_code) | (Organisation.name == org_code)
                )
            )
            if org_id is None:
                raise RegistryError(f"{texts.E_ORG_NOT_FOUND}：{org_code}")
        hours: list[WeeklyHours] | None = None
        if (row.get("hours") or "").strip():
            try:
                hours = parse_hours(row["hours"])
            except (KeyError, ValueError) as exc:
                raise RegistryError(f"工作时间格式有误：{exc}") from None
        mediator = await session.scalar(select(Mediator).where(Mediator.code == values["code"]))
        created = mediator is None
        if mediator is None:
            mediator = Mediator(ics_token=secrets.token_urlsafe(24), **values)
            session.add(mediator)
        else:
            for key, value in values.items():
                setattr(mediator, key, value)
        mediator.organisation_id = org_id
        await session.flush()
        if hours is not None:
            await session.execute(
                delete(MediatorHours).where(MediatorHours.mediator_id == mediator.id)
            )
            session.add_all(
                MediatorHours(
                    mediator_id=mediator.id,
                    weekday=h.weekday,
                    start_minute=h.start_minute,
                    end_minute=h.end_minute,
                )
                for h in hours
            )
            await session.flush()
        return mediator, created

    async def mediators(self, *, organisation: str | None = None) -> list[Mediator]:
        query = select(Mediator).order_by(Mediator.code)
        if organisation:
            query = query.join(Organisation).where(Organisation.code == organisation)
        async with self.db.read() as session:
            return list((await session.scalars(query)).all())

    async def mediator(self, mediator_id: int) -> Mediator | None:
        async with self.db.read() as session:
            return await session.get(Mediator, mediator_id)

    async def mediator_by_username(self, username: str) -> Mediator | None:
        async with self.db.read() as session:
            return await session.scalar(select(Mediator).where(Mediator.username == username))

    async def hours_text(self, mediator_id: int) -> str:
        async with self.db.read() as session:
            rows = (
                await session.scalars(
                    select(MediatorHours).where(MediatorHours.mediator_id == mediator_id)
                )
            ).all()
        return format_hours(WeeklyHours(r.weekday, r.start_minute, r.end_minute) for r in rows)

    async def add_absence(
        self, mediator_id: int, starts_at: datetime, ends_at: datetime, reason: str, actor: str
    ) -> int:
        if not starts_at < ends_at:
            raise RegistryError("结束时间应晚于开始时间")
        async with self.db.transaction() as session:
            if await session.get(Mediator, mediator_id) is None:
                raise RegistryError(texts.E_MEDIATOR_NOT_FOUND)
            row = MediatorAbsence(
                mediator_id=mediator_id, starts_at=starts_at, ends_at=ends_at, reason=reason[:128]
            )
            session.add(row)
            await session.flush()
            await audit.append(
                session,
                case_id=None,
                actor=actor,
                action="registry.absence",
                detail={
                    "mediator_id": mediator_id,
                    "from": starts_at.isoformat(),
                    "to": ends_at.isoformat(),
                },
            )
            return row.id

    # --- CSV -------------------------------------------------------------------------------

    async def import_csv(self, kind: str, text: str, actor: str) -> ImportReport:
        """All or nothing: any bad row and nothing is written; the report names the lines."""
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        report = ImportReport()
        save = self._save_org if kind == "organisations" else self._save_mediator
        try:
            async with self.db.transaction() as session:
                for number, row in enumerate(reader, start=2):
                    clean = {k.strip(): (v or "") for k, v in row.items() if k}
                    try:
                        # Each save validates before it adds anything, so a bad row leaves
                        # the session clean and the other rows can still be checked.
                        _, created = await save(session, clean)  # type: ignore[operator]
                    except RegistryError as exc:
                        report.errors.append(texts.E_CSV.format(line=number, error=exc))
                        continue
                    report.created += created
                    report.updated += not created
                if report.errors:
                    raise _Abort
                await audit.append(
                    session,
                    case_id=None,
                    actor=actor,
                    action=f"registry.import.{kind}",
                    detail={"created": report.created, "updated": report.updated},
                )
        except _Abort:
            report.created = report.updated = 0
        return report


class _Abort(Exception):
    """Rolls the import back when any row was bad."""


def export_mediators_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MEDIATOR_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
