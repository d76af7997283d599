"""Assembles the judicial-confirmation package of a sealed agreement from the case's
records (see ``judicial.py`` for what goes in and why)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from fengqiao.cases import audit
from fengqiao.cases.identity import Channel
from fengqiao.cases.reach import Reach
from fengqiao.documents import judicial, lookup, records
from fengqiao.documents.errors import Conflict
from fengqiao.documents.texts import AUDIT_ACTION_NAMES, DOCS, JUDICIAL
from fengqiao.documents.viewer import Viewer
from fengqiao.storage.models import (
    AuditEntry,
    Booking,
    Case,
    CaseFile,
    EvidenceComment,
    RoomMessage,
)

_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")
ROLE_TEXT = {"mediator": "调解员", "party": "当事人", "applicant": "申请人",
             "respondent": "被申请人", "staff": "工作人员"}


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1])[:80] or "file"


async def build_judicial_package(proofs: Any, doc_code: str, staff: Viewer) -> bytes:
    """``proofs`` is the ProofService (certificates, platform signature, settings)."""
    staff.require_staff()
    settings = proofs.settings
    async with proofs.db.read() as session:
        doc = await records.load_doc(session, doc_code)
        if doc.status != "sealed" or not doc.file_key or doc.sealed_at is None:
            raise Conflict("not_sealed", DOCS["not_sealed"])
        case = await session.get(Case, doc.case_id)
        assert case is not None
        files = list((await session.scalars(select(CaseFile).where(
            CaseFile.case_id == case.id).order_by(CaseFile.id))).all())
        comments = list((await session.scalars(select(EvidenceComment).order_by(
            EvidenceComment.id).where(EvidenceComment.case_file_id.in_(
                [f.id for f in files] or [0])))).all())
        entries = list((await session.scalars(select(AuditEntry).where(
            AuditEntry.case_id == case.id).order_by(AuditEntry.id))).all())
        bookings = list((await session.scalars(select(Booking).where(
            Booking.case_id == case.id).order_by(Booking.id))).all())
        messages = list((await session.scalars(select(RoomMessage).where(
            RoomMessage.case_id == case.id).order_by(RoomMessage.sent_at))).all())
        party_rows = {p.id: p for p in await lookup.case_parties(session, case.id)}
    parties = []
    for p in doc.data.get("parties", []):
        row = party_rows.get(p.get("party_id"))
        parties.append({k: p.get(k, "") for k in (
            "name", "role", "kind", "id_number", "gender", "birth_date", "address",
            "representative", "agent")} | {"phone": (row.phone if row else None)
                                           or p.get("phone", "")})
    out: dict[str, bytes] = {"agreement.pdf": await proofs.files.get(doc.file_key)}
    deadline = doc.judicial_deadline_at or judicial.judicial_deadline(doc.sealed_at)
    font = settings.cjk_font or None
    out["application.pdf"] = await asyncio.to_thread(
        judicial.application_pdf, parties=parties, agreement_title=doc.title,
        doc_code=doc.code, committee=doc.data.get("committee", ""), sealed_at=doc.sealed_at,
        obligations_text=_obligations(doc.data), public_url=settings.public_url,
        font_path=font)
    out["parties.json"] = judicial.as_json(parties)
    limit = settings.package_recording_max_mb * 1024 * 1024
    evidence_items = []
    for n, f in enumerate(files, start=1):
        name = f"{n:02d}-{_safe(f.original_name or f.file_key)}"
        if f.kind == "evidence":
            out[f"evidence/{name}"] = await proofs.files.get(f.file_key)
            evidence_items.append({
                "name": f.original_name or name, "by": _who(f.submitted_by, party_rows),
                "sha256": f.sha256, "comments": [
                    {"by": c.author, "time": judicial._local(c.created_at), "text": c.text}
                    for c in comments if c.case_file_id == f.id]})
        elif f.kind == "recording":
            if f.size <= limit:
                out[f"recordings/{name}"] = await proofs.files.get(f.file_key)
            else:
                out[f"recordings/{name}.txt"] = JUDICIAL["recording_note"].format(
                    name=f.original_name or name, mb=round(f.size / 1048576, 1),
                    sha256=f.sha256).encode()
    consents = await proofs.delivery.consents(case.id)
    out["consents.json"] = judicial.as_json([{
        "party": party_rows[c.party_id].name if c.party_id in party_rows else "",
        "channel": c.channel, "address": c.address, "consented_at": c.consented_at,
        "wording": c.wording, "wording_sha256": c.wording_sha256, "ip": c.ip}
        for c in consents])
    record = judicial.RecordInput(
        case_code=case.code, case_type=case.type_name or "", filed_at=case.created_at,
        description=case.description, committee=doc.data.get("committee", ""),
        mediator=doc.data.get("mediator", ""), parties=parties,
        sessions=[{"starts_at": b.starts_at, "mode": "视频" if b.mode == "video" else "现场",
                   "place": b.place, "notes": b.notes} for b in bookings],
        evidence=evidence_items,
        messages=[{"time": m.sent_at, "role": ROLE_TEXT.get(m.role, m.role), "text": m.text}
                  for m in messages if m.kind == "chat"],
        timeline=[{"time": e.created_at, "action": AUDIT_ACTION_NAMES.get(e.action, e.action),
                   "actor": _who(e.actor, party_rows)} for e in entries],
        outcome=JUDICIAL["outcome_agreed"].format(
            code=doc.code, date=judicial._local(doc.sealed_at),
            deadline=judicial.deadline_text(deadline)))
    out["mediation_record.pdf"] = await asyncio.to_thread(
        judicial.mediation_record_pdf, record, doc_code=doc.code,
        public_url=settings.public_url, font_path=font)
    out["service_certificate.pdf"] = await proofs.service_certificate(doc_code, staff)
    out["audit_certificate.pdf"] = await proofs.audit_certificate(doc_code, staff)
    out["root-ca.pem"] = proofs.root_ca_pem()
    out["README.txt"] = JUDICIAL["readme"].encode()
    created = datetime.now(UTC)
    listing = judicial.manifest(out, created)
    out["manifest.json"] = judicial.as_json(listing)
    listing_pdf = await asyncio.to_thread(judicial.manifest_pdf, listing, doc_code=doc.code,
                                          public_url=settings.public_url, font_path=font)
    out["manifest.pdf"] = await proofs.platform_sign(listing_pdf)
    package = await asyncio.to_thread(judicial.package_zip, out, created)
    async with proofs.db.transaction() as session:
        await audit.append(session, case_id=case.id, actor=staff.actor,
                           action="judicial.package", detail={
                               "doc": doc.code, "files": len(out),
                               "manifest_sha256": listing and judicial.hashlib.sha256(
                                   out["manifest.json"]).hexdigest()})
    return package


def _obligations(data: dict[str, Any]) -> str:
    parts = []
    for ob in data.get("obligations") or []:
        amount = f"人民币{ob['amount']}元" if ob.get("amount") else ""
        parts.append(f"{ob.get('obligor', '')}于{ob.get('deadline', '')}前向"
                     f"{ob.get('obligee', '')}{ob.get('description', '')}{amount}")
    return "；".join(parts) + "。" if parts else ""


def _who(actor: str, parties: dict[int, Any]) -> str:
    kind, _, ident = (actor or "").partition(":")
    if kind == "party" and ident.isdigit() and int(ident) in parties:
        return parties[int(ident)].name or ""
    if kind == "staff":
        return "工作人员"
    return actor


REMIND_AT_DAYS = (20, 27)


async def remind_judicial_deadlines(db: Any, notifier: Any, settings: Any,
                                    now: datetime | None = None) -> int:
    """On the 20th and 27th day after sealing, remind the parties and the mediator (on
    WeChat, where the platform knows them) that the 30-day window for judicial
    confirmation ends at 24:00 of the 30th day. Each reminder is recorded once."""
    from fengqiao.documents.notify import NotSent
    from fengqiao.storage.models import Document, DocumentEvent, Mediator

    now = now or datetime.now(UTC)
    async with db.read() as session:
        docs = list((await session.scalars(select(Document).where(
            Document.status == "sealed", Document.judicial_deadline_at.is_not(None),
            Document.judicial_deadline_at > now))).all())
    sent = 0
    for doc in docs:
        assert doc.sealed_at is not None and doc.judicial_deadline_at is not None
        day = (now.astimezone(judicial.LOCAL_TZ).date()
               - doc.sealed_at.astimezone(judicial.LOCAL_TZ).date()).days
        due = [d for d in REMIND_AT_DAYS if day >= d]
        if not due:
            continue
        async with db.read() as session:
            done = {(e.detail or {}).get("day") for e in (await session.scalars(select(
                DocumentEvent).where(DocumentEvent.document_id == doc.id,
                                     DocumentEvent.event == "judicial_reminder"))).all()}
            if due[-1] in done:
                continue
            case = await session.get(Case, doc.case_id)
            reaches = [r for r in [await lookup.party_reach(session, p)
                                   for p in await lookup.case_parties(session, doc.case_id)]
                       if r]
            username = str(doc.data.get("mediator_staff_id") or "").removeprefix("staff:")
            mediator_openid = await session.scalar(select(Mediator.openid).where(
                Mediator.username == username)) if username else None
        text = JUDICIAL["reminder_text"].format(
            case=case.code if case else "", title=doc.title,
            deadline=judicial.deadline_text(doc.judicial_deadline_at),
            left=days_left(doc.judicial_deadline_at, now))
        url = f"{settings.public_url.rstrip('/')}/h5/verify?code={doc.code}"
        reached = []
        if mediator_openid:  # a mediator is reached on the official account only
            reaches.append(Reach(None, (Channel("mp", mediator_openid),)))
        for to in reaches:
            try:
                await notifier.send_link(to, "progress", JUDICIAL["reminder_title"], text, url,
                                         code=case.code if case else "")
                reached.append(to.primary.address[:4] + "…")
            except NotSent:
                continue
        async with db.transaction() as session:
            row = await records.load_doc(session, doc.code)
            await records.add_event(session, row, "judicial_reminder", None, actor="system",
                                    detail={"day": due[-1], "reached": len(reached)}, at=now)
            await audit.append(session, case_id=doc.case_id, actor="system",
                               action="judicial.reminded",
                               detail={"doc": doc.code, "day": due[-1]})
        sent += 1
    return sent


def days_left(deadline: datetime, now: datetime) -> int:
    return max(0, (deadline.astimezone(judicial.LOCAL_TZ).date()
                   - now.astimezone(judicial.LOCAL_TZ).date()).days)
