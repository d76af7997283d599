"""Evidence documents around an agreement: the signing audit trail, the certificate of
electronic service (送达证明), and the package for judicial confirmation (司法确认).

All take plain lists of dicts so the case service can pass rows straight from its tables.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fengqiao.documents.pdf_layout import FONT_FAMILY, DocumentPdf
from fengqiao.documents.texts import (
    CERTIFICATES,
    DELIVERY_STATUS,
    EVENT_NAMES,
    IDENTITY_METHODS,
    PACKAGE,
)

_UA_MAX = 120


def mask_ip(ip: str | None) -> str:
    """Keep the network, hide the host: 203.0.113.45 -> 203.0.*.*; IPv6 keeps /48."""
    if not ip:
        return CERTIFICATES["none"]
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "*"
    if addr.version == 4:
        a, b, _, _ = str(addr).split(".")
        return f"{a}.{b}.*.*"
    groups = addr.exploded.split(":")[:3]
    return ":".join(g.lstrip("0") or "0" for g in groups) + ":*"


def audit_certificate_pdf(
    *,
    title: str,
    doc_code: str,
    events: Iterable[dict[str, Any]],
    public_url: str,
    generated_at: datetime | None = None,
    font_path: str | None = None,
) -> bytes:
    """Events: dicts with ``event`` (sent, opened, identity_confirmed, signed, sealed,
    delivered …), ``time``, ``actor``, ``ip``, ``user_agent`` and ``doc_sha256``."""
    pdf = _start(CERTIFICATES["audit_title"], doc_code, public_url, font_path,
                 CERTIFICATES["audit_intro"].format(title=title, code=doc_code), generated_at)
    for n, ev in enumerate(sorted(events, key=lambda e: _time_text(e.get("time"))), start=1):
        name = EVENT_NAMES.get(str(ev.get("event")), str(ev.get("event", "")))
        lines = [
            f"{n}. {_time_text(ev.get('time'))}  {name}  {ev.get('actor') or ''}".rstrip(),
            f"{CERTIFICATES['col_ip']}：{mask_ip(ev.get('ip'))}",
            f"{CERTIFICATES['col_ua']}：{_user_agent(ev.get('user_agent'))}",
        ]
        detail = ev.get("detail") or {}
        if detail.get("method"):
            method = IDENTITY_METHODS.get(str(detail["method"]), str(detail["method"]))
            lines.append(f"{CERTIFICATES['col_method']}：{method}"
                         + (f"（{detail['phone']}）" if detail.get("phone") else ""))
        if detail.get("operator"):
            lines.append(f"{CERTIFICATES['col_operator']}：{detail['operator']}")
        if detail.get("text_sha256"):
            lines.append(f"{CERTIFICATES['col_text_hash']}：{detail['text_sha256']}")
        if ev.get("doc_sha256"):
            lines.append(f"{CERTIFICATES['col_hash']}：{ev['doc_sha256']}")
        _block(pdf, lines)
    return bytes(pdf.output())


def service_certificate_pdf(
    *,
    title: str,
    doc_code: str,
    deliveries: Iterable[dict[str, Any]],
    public_url: str,
    consents: Iterable[dict[str, Any]] = (),
    doc_sha256: str = "",
    generated_at: datetime | None = None,
    font_path: str | None = None,
) -> bytes:
    """Consents: dicts with ``recipient``, ``address``, ``time``, ``wording``,
    ``wording_sha256``. Deliveries (one per attempt): ``recipient``, ``attempt``,
    ``address`` (the recipient's designated system), ``status``, ``sent_at``,
    ``delivered_at``, ``read_at``, ``downloaded_at``, ``acknowledged_at``,
    ``reminded_at``, ``paper_task_at``, ``paper_requested_at``, ``failure``,
    ``doc_sha256``."""
    pdf = _start(CERTIFICATES["service_title"], doc_code, public_url, font_path,
                 CERTIFICATES["service_intro"].format(title=title, code=doc_code), generated_at)
    if doc_sha256:
        _block(pdf, [f"{CERTIFICATES['col_hash']}：{doc_sha256}"])
    _heading(pdf, CERTIFICATES["consents"])
    consent_rows = list(consents)
    if not consent_rows:
        _block(pdf, [CERTIFICATES["no_consent"]])
    for n, c in enumerate(consent_rows, start=1):
        _block(pdf, [
            f"{n}. {c.get('recipient', '')}  {_time_text(c.get('time'))}",
            f"{CERTIFICATES['col_address']}：{c.get('address', '')}",
            f"{CERTIFICATES['col_wording']}：{c.get('wording', '')}",
            f"{CERTIFICATES['col_wording_hash']}：{c.get('wording_sha256', '')}",
        ])
    _heading(pdf, CERTIFICATES["attempts"])
    for n, d in enumerate(deliveries, start=1):
        status = DELIVERY_STATUS.get(str(d.get("status")), str(d.get("status", "")))
        lines = [
            f"{n}. {CERTIFICATES['col_recipient']}：{d.get('recipient', '')}  "
            + CERTIFICATES["attempt_no"].format(n=d.get("attempt", 1)),
            f"{CERTIFICATES['col_address']}：{d.get('address', '')}",
            f"{CERTIFICATES['col_status']}：{status}",
        ]
        for key in ("sent_at", "delivered_at", "read_at", "downloaded_at", "acknowledged_at"):
            lines.append(f"{CERTIFICATES['col_' + key]}：{_time_text(d.get(key))}")
        if d.get("failure"):
            lines.append(f"{CERTIFICATES['col_failure']}：{d['failure']}")
        for key in ("reminded_at", "paper_task_at", "paper_requested_at"):
            if d.get(key):
                lines.append(CERTIFICATES["note_" + key].format(time=_time_text(d[key])))
        lines.append(f"{CERTIFICATES['col_hash']}：{d.get('doc_sha256', '')}")
        _block(pdf, lines)
    return bytes(pdf.output())


def _heading(pdf: DocumentPdf, text: str) -> None:
    pdf.set_font(FONT_FAMILY, size=13)
    pdf.multi_cell(pdf.w - pdf.l_margin - pdf.r_margin, 8, text, new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_font(FONT_FAMILY, size=11)


def judicial_package(
    *,
    agreement_pdf: bytes,
    parties: list[dict[str, Any]],
    mediation_record: str | bytes,
    extra_files: dict[str, bytes] | None = None,
    created_at: datetime | None = None,
) -> bytes:
    """A zip for the court: agreement, parties' identity information, mediation record,
    optional extras (audit and service certificates), and a manifest of SHA-256 sums."""
    created = created_at or datetime.now(UTC)
    files: dict[str, bytes] = {"agreement.pdf": agreement_pdf}
    files["parties.json"] = json.dumps(parties, ensure_ascii=False, indent=2,
                                       default=str).encode()
    if isinstance(mediation_record, bytes):
        ext = "pdf" if mediation_record.startswith(b"%PDF-") else "bin"
        files[f"mediation_record.{ext}"] = mediation_record
    else:
        files["mediation_record.txt"] = mediation_record.encode()
    for name, data in (extra_files or {}).items():
        safe = name.replace("\\", "/").rsplit("/", 1)[-1]  # flat archive, no paths
        files[safe] = data
    manifest = {
        "created_at": created.isoformat(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    files["README.txt"] = PACKAGE["readme"].encode()
    out = io.BytesIO()
    stamp = created.timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def _start(title: str, doc_code: str, public_url: str, font_path: str | None, intro: str,
           generated_at: datetime | None) -> DocumentPdf:
    pdf = DocumentPdf(doc_code=doc_code, public_url=public_url, font_path=font_path)
    pdf.set_title(title + " " + doc_code)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(FONT_FAMILY, size=18)
    pdf.multi_cell(width, 11, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, size=11)
    pdf.ln(3)
    pdf.multi_cell(width, 6.5, intro, new_x="LMARGIN", new_y="NEXT")
    when = _time_text(generated_at or datetime.now(UTC))
    pdf.multi_cell(width, 6.5, CERTIFICATES["generated_at"].format(time=when),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    return pdf


def _block(pdf: DocumentPdf, lines: list[str]) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(FONT_FAMILY, size=11)
    pdf.multi_cell(width, 6, lines[0], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, size=9)
    for line in lines[1:]:
        pdf.set_x(pdf.l_margin + 5)
        pdf.multi_cell(width - 5, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2.5)
    pdf.set_font(FONT_FAMILY, size=11)


def _time_text(value: Any) -> str:
    """Times are shown in China Standard Time, the time the parties live in."""
    if value is None or value == "":
        return CERTIFICATES["none"]
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _user_agent(value: Any) -> str:
    text = " ".join(str(value or CERTIFICATES["none"]).split())
    return text if len(text) <= _UA_MAX else text[: _UA_MAX - 1] + "…"
