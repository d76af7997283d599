"""The parties of a case as staff complete them: a respondent known only as "王某" at intake,
with a phone the applicant did not know, must become a record an agreement can name and a
signing code can reach. Every change is audited, with the fields that changed (values masked)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fengqiao import errors
from fengqiao.cases import audit, codes
from fengqiao.cases.errors import CaseNotFound
from fengqiao.nlp import pii
from fengqiao.storage.db import Database
from fengqiao.storage.models import Case, CaseParty

ROLES = {"applicant": "申请人", "respondent": "被申请人", "agent": "代理人"}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
FIELDS = ("role", "name", "phone", "id_number", "address", "agent")


@dataclass(frozen=True)
class PartyRecord:
    role: str
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""
    agent: str = ""


def normal_phone(text: str) -> str:
    """A mainland mobile or landline number as digits (dashes, spaces and +86 dropped), or ""
    for none; errors.Invalid for something else."""
    raw = re.sub(r"[\s\-()（）]", "", text.strip())
    if not raw:
        return ""
    raw = re.sub(r"^(\+?86)(?=1\d{10}$)", "", raw)
    if _MOBILE.match(raw):
        return raw
    if _LANDLINE.match(text.strip().replace(" ", "")) or re.fullmatch(r"0\d{9,11}", raw):
        return raw
    raise errors.Invalid("bad_phone", "电话号码不正确：请填写 11 位手机号或带区号的固定电话")


def check(record: PartyRecord) -> PartyRecord:
    """The record with its phone normalised, or errors.Invalid naming every problem at once
    (a clerk fixing one field at a time would send the form three times)."""
    problems: list[errors.Invalid] = []
    if record.role not in ROLES:
        problems.append(errors.Invalid("bad_role", "身份只能是申请人、被申请人或代理人"))
    name = record.name.strip()
    if not name or len(name) > 64:
        problems.append(errors.Invalid("bad_name", "请填写当事人姓名或单位名称（不超过 64 字）"))
    elif pii.find_phones(name):
        problems.append(errors.Invalid("bad_name", "姓名里不能填电话号码"))
    phone = ""
    try:
        phone = normal_phone(record.phone)
    except errors.Invalid as exc:
        problems.append(exc)
    number = record.id_number.strip().upper()
    if number and not _id_or_credit_code(number):
        problems.append(errors.Invalid(
            "bad_id_number", "证件号码不正确：请填写 18 位居民身份证号或统一社会信用代码"
        ))
    if problems:
        raise errors.Invalid(problems[0].code, "；".join(p.message for p in problems),
                             problems=[{"code": p.code, "message": p.message} for p in problems])
    return PartyRecord(
        role=record.role,
        name=name,
        phone=phone,
        id_number=number,
        address=record.address.strip()[:255],
        agent=record.agent.strip()[:64],
    )


_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_ok(code: str) -> bool:
    """An organisation's 统一社会信用代码 with its check character (GB 32100-2015)."""
    if len(code) != 18 or any(c not in _USCC for c in code):
        return False
    total = sum(_USCC.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return _USCC[(31 - total % 31) % 31] == code[17]


def _id_or_credit_code(number: str) -> bool:
    """An 18-character resident ID with its check digit, or an organisation's credit code."""
    return len(number) == 18 and (pii.id_checksum_ok(number) or credit_code_ok(number))


def _masked(field: str, value: str) -> str:
    if field == "phone":
        return pii.mask(value) if value else ""
    if field == "id_number":
        return value[:4] + "*" * 10 + value[-4:] if value else ""
    if field in ("name", "agent"):
        return pii.mask_name(value) if value else ""
    return value


class PartiesMixin:
    db: Database

    async def update_party(
        self, code: str, party_id: int, record: PartyRecord, actor: str
    ) -> None:
        record = check(record)
        async with self.db.transaction() as session:
            case, party = await _case_and_party(session, code, party_id)
            changed = {}
            for field in FIELDS:
                new = getattr(record, field) or None
                old = getattr(party, field)
                if (old or None) != new:
                    changed[field] = {
                        "from": _masked(field, old or ""),
                        "to": _masked(field, new or ""),
                    }
                    setattr(party, field, new)
            if not changed:
                return
            if "phone" in changed:
                # The old number may be someone else's now: links sent to it are void.
                party.link_generation = (party.link_generation or 0) + 1
            await audit.append(
                session,
                case_id=case.id,
                actor=actor,
                action="party.updated",
                detail={"party": party.id, "role": party.role, "changed": changed},
            )

    async def add_party(self, code: str, record: PartyRecord, actor: str) -> int:
        record = check(record)
        async with self.db.transaction() as session:
            case = await _case(session, code)
            row = CaseParty(case_id=case.id, **{k: v or None for k, v in asdict(record).items()})
            row.role = record.role
            session.add(row)
            await session.flush()
            await audit.append(
                session,
                case_id=case.id,
                actor=actor,
                action="party.added",
                detail={"party": row.id, "role": row.role, "name": _masked("name", record.name)},
            )
            return row.id


    async def party_phone(self, code: str, party_id: int) -> tuple[int, str | None]:
        """(case id, phone) of a party of the case, for sending them their case link;
        NotFound for a party of another case."""
        async with self.db.read() as session:
            case, party = await _case_and_party(session, code, party_id)
            return case.id, party.phone

    async def link_generation(self, party_id: int) -> int:
        """The generation a new case link of the party is made in (cases.case_link)."""
        async with self.db.read() as session:
            found = await session.scalar(
                select(CaseParty.link_generation).where(CaseParty.id == party_id)
            )
        return int(found or 0)

    async def revoke_links(self, code: str, party_id: int, actor: str) -> None:
        """Void every case link the party was sent (staff's 作废旧链接), audited."""
        async with self.db.transaction() as session:
            case, party = await _case_and_party(session, code, party_id)
            party.link_generation = (party.link_generation or 0) + 1
            await audit.append(
                session,
                case_id=case.id,
                actor=actor,
                action="party.links_revoked",
                detail={"party": party.id, "role": party.role,
                        "generation": party.link_generation},
            )

    async def note_link_sms(self, code: str, party_id: int, actor: str, phone: str) -> None:
        """Audit that staff sent a party their case link by SMS (``phone`` masked)."""
        async with self.db.transaction() as session:
            case, party = await _case_and_party(session, code, party_id)
            await audit.append(
                session,
                case_id=case.id,
                actor=actor,
                action="case.link_sms",
                detail={"party": party.id, "role": party.role, "phone": phone},
            )


async def _case(session: AsyncSession, code: str) -> Case:
    canonical = codes.normalise(code)
    case = await session.scalar(select(Case).where(Case.code == canonical)) if canonical else None
    if case is None:
        raise CaseNotFound(code)
    return case


async def _case_and_party(
    session: AsyncSession, code: str, party_id: int
) -> tuple[Case, CaseParty]:
    case = await _case(session, code)
    party = await session.get(CaseParty, party_id)
    if party is None or party.case_id != case.id:
        raise errors.NotFound("party_not_found", "当事人不存在")
    return case, party
