"""The package for judicial confirmation (司法确认, Civil Procedure Law art. 205-206): the joint
application ready to sign, the signed agreement, the parties' identity summary, evidence,
recordings (or their hashes above a size), consent records, a readable 调解笔录, the service
and audit certificates, the platform's root certificate, and a manifest of SHA-256 sums
that the platform signs (``manifest.pdf``)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fengqiao.documents.pdf_layout import FONT_FAMILY, DocumentPdf
from fengqiao.documents.texts import JUDICIAL

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
JUDICIAL_DAYS = 30  # People's Mediation Law art. 33


def judicial_deadline(sealed_at: datetime) -> datetime:
    """24:00 local time of the 30th day after the agreement took effect: the day it took
    effect is not counted (Civil Procedure Law art. 85), so the window closes at the start
    of the 31st local day."""
    local_day = sealed_at.astimezone(LOCAL_TZ).date() + timedelta(days=JUDICIAL_DAYS + 1)
    return datetime(local_day.year, local_day.month, local_day.day, tzinfo=LOCAL_TZ)


def deadline_text(deadline: datetime) -> str:
    """The instant shown as people say it: 2027-01-06 24:00 (not 2027-01-07 00:00)."""
    day = deadline.astimezone(LOCAL_TZ) - timedelta(minutes=1)
    return day.strftime("%Y-%m-%d") + " 24:00"


@dataclass
class RecordInput:
    """What the 调解笔录 is written from."""

    case_code: str
    case_type: str
    filed_at: datetime
    description: str
    committee: str
    mediator: str
    parties: list[dict[str, Any]]
    sessions: list[dict[str, Any]] = field(default_factory=list)  # bookings: time, place, notes
    evidence: list[dict[str, Any]] = field(default_factory=list)  # name, by, sha256, comments
    messages: list[dict[str, Any]] = field(default_factory=list)  # time, role, text
    timeline: list[dict[str, Any]] = field(default_factory=list)  # time, action, actor
    outcome: str = ""


def _pdf(title: str, doc_code: str, public_url: str, font_path: str | None) -> DocumentPdf:
    pdf = DocumentPdf(doc_code=doc_code, public_url=public_url, font_path=font_path)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, size=18)
    pdf.multi_cell(0, 11, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT_FAMILY, size=11)
    return pdf


def _para(pdf: DocumentPdf, text: str, *, size: float = 11, indent: float = 0) -> None:
    pdf.set_font(FONT_FAMILY, size=size)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(pdf.w - pdf.l_margin - pdf.r_margin - indent, size * 0.6, text,
                   new_x="LMARGIN", new_y="NEXT")


def _local(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"


def application_pdf(*, parties: list[dict[str, Any]], agreement_title: str, doc_code: str,
                    committee: str, sealed_at: datetime, obligations_text: str,
                    public_url: str, font_path: str | None = None) -> bytes:
    """司法确认申请书, filled in from the agreement and ready for both parties to sign."""
    pdf = _pdf(JUDICIAL["application_title"], doc_code, public_url, font_path)
    for n, p in enumerate(parties, start=1):
        _para(pdf, JUDICIAL["applicant"].format(
            n=n, name=p.get("name", ""), role=p.get("role", ""),
            id_number=p.get("id_number", ""), address=p.get("address", ""),
            phone=p.get("phone", "")))
        pdf.ln(1)
    pdf.ln(2)
    _para(pdf, JUDICIAL["request_head"], size=13)
    _para(pdf, JUDICIAL["request"].format(committee=committee, title=agreement_title,
                                          date=_local(sealed_at)[:10], code=doc_code))
    pdf.ln(2)
    _para(pdf, JUDICIAL["facts_head"], size=13)
    _para(pdf, JUDICIAL["facts"].format(committee=committee, date=_local(sealed_at)[:10],
                                        obligations=obligations_text))
    pdf.ln(2)
    _para(pdf, JUDICIAL["promise"])
    pdf.ln(4)
    _para(pdf, JUDICIAL["court"])
    pdf.ln(6)
    for p in parties:
        _para(pdf, JUDICIAL["sign_line"].format(name=p.get("name", "")))
        pdf.ln(4)
    _para(pdf, JUDICIAL["date_line"])
    pdf.ln(4)
    _para(pdf, JUDICIAL["attachments"], size=9)
    return bytes(pdf.output())


def mediation_record_pdf(data: RecordInput, *, doc_code: str, public_url: str,
                         font_path: str | None = None) -> bytes:
    """调解笔录: who, when, where, what was said and shown, what was agreed."""
    pdf = _pdf(JUDICIAL["record_title"], doc_code, public_url, font_path)
    _para(pdf, JUDICIAL["record_case"].format(code=data.case_code, type=data.case_type,
                                              filed=_local(data.filed_at)))
    _para(pdf, JUDICIAL["record_org"].format(committee=data.committee, mediator=data.mediator))
    for p in data.parties:
        _para(pdf, f"{p.get('role', '')}：{p.get('name', '')}")
    pdf.ln(2)
    _para(pdf, JUDICIAL["record_dispute"], size=13)
    _para(pdf, data.description or "—")
    _para(pdf, JUDICIAL["record_sessions"], size=13)
    for s in data.sessions or [{}]:
        if not s:
            _para(pdf, "—")
            continue
        _para(pdf, JUDICIAL["record_session"].format(
            time=_local(s.get("starts_at")), mode=s.get("mode", ""), place=s.get("place") or ""))
        if s.get("notes"):
            _para(pdf, JUDICIAL["record_notes"].format(notes=s["notes"]), indent=5)
    _para(pdf, JUDICIAL["record_evidence"], size=13)
    for n, e in enumerate(data.evidence, start=1):
        _para(pdf, f"{n}. {e.get('name', '')}（{e.get('by', '')}提交，SHA-256 "
                   f"{str(e.get('sha256', ''))[:16]}…）")
        for c in e.get("comments", []):
            _para(pdf, JUDICIAL["record_comment"].format(**c), indent=5, size=10)
    if not data.evidence:
        _para(pdf, "—")
    if data.messages:
        _para(pdf, JUDICIAL["record_said"], size=13)
        for m in data.messages:
            _para(pdf, f"{_local(m.get('time'))}  {m.get('role', '')}：{m.get('text', '')}",
                  size=10)
    _para(pdf, JUDICIAL["record_outcome"], size=13)
    _para(pdf, data.outcome or "—")
    _para(pdf, JUDICIAL["record_timeline"], size=13)
    for t in data.timeline:
        _para(pdf, f"{_local(t.get('time'))}  {t.get('action', '')}  {t.get('actor', '')}",
              size=10)
    return bytes(pdf.output())


def manifest(files: dict[str, bytes], created: datetime) -> dict[str, Any]:
    return {"created_at": created.isoformat(),
            "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                      for name, data in sorted(files.items())}}


def manifest_pdf(listing: dict[str, Any], *, doc_code: str, public_url: str,
                 font_path: str | None = None) -> bytes:
    """The manifest as a PDF, so the platform can sign it like any other document."""
    pdf = _pdf(JUDICIAL["manifest_title"], doc_code, public_url, font_path)
    _para(pdf, JUDICIAL["manifest_intro"].format(time=listing["created_at"][:19]))
    pdf.ln(2)
    for name, item in listing["files"].items():
        _para(pdf, f"{name}（{item['size']} 字节）", size=10)
        _para(pdf, item["sha256"], size=9, indent=5)
    return bytes(pdf.output())


def package_zip(files: dict[str, bytes], created: datetime) -> bytes:
    out = io.BytesIO()
    stamp = created.astimezone(LOCAL_TZ).timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def as_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()
