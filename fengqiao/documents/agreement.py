"""Render a mediation agreement from the operator's Jinja2 templates into a signable PDF.

Templates live in ``config/agreements/<dispute_type>.txt.j2`` (falling back to
``base.txt.j2``) and produce a tiny line markup: ``# `` title, ``## `` section heading,
blank line between paragraphs. The PDF ends with empty signature fields, one per party, one
for the mediator and one for the committee seal, signed later in that order.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import jinja2
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    append_signature_field,
)

from fengqiao.documents.agreement_model import (
    PAYMENT_METHODS,
    AgreementData,
    AgreementInvalid,
    validate_agreement,
)
from fengqiao.documents.pdf_layout import FONT_FAMILY, DocumentPdf, mm_box_to_pdf
from fengqiao.documents.texts import AGREEMENT

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "config" / "agreements"
SEAL_FIELD = "sig-seal"
MEDIATOR_FIELD = "sig-mediator"


@dataclass(frozen=True)
class SignatureSlot:
    """One empty signature field of the PDF and who is to sign it."""

    field_name: str
    role: str  # party, mediator, seal
    label: str  # printed next to the field
    signer_key: str  # the party's / mediator's opaque id; the committee name for the seal
    page: int  # 0-based
    box: tuple[int, int, int, int]  # PDF points, bottom-left origin


@dataclass(frozen=True)
class AgreementPdf:
    pdf: bytes
    doc_code: str
    sha256: str
    slots: list[SignatureSlot]  # in signing order


def new_doc_code(case_code: str) -> str:
    """A document code for the verification link: the case code plus an unguessable part."""
    return f"{case_code}-{secrets.token_hex(4).upper()}"


def what_paid(description: str) -> str:
    """What is paid, after the template's own 支付: "支付拖欠工资" and "付拖欠工资" read as
    "拖欠工资", so the agreement never says 支付支付."""
    text = (description or "").strip()
    for verb in ("支付", "给付", "付清", "偿还", "付"):
        if text.startswith(verb) and len(text) > len(verb):
            return text[len(verb):]
    return text


def template_environment(template_dir: Path | str = DEFAULT_TEMPLATE_DIR) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not blank
        autoescape=False,  # noqa: S701 - output is PDF text, never served as HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(yuan=format_yuan, daxie=yuan_in_words, cn_date=cn_date,
                       method_name=lambda m: PAYMENT_METHODS.get(m, m), what_paid=what_paid)
    return env


def render_agreement_text(data: AgreementData,
                          template_dir: Path | str = DEFAULT_TEMPLATE_DIR) -> str:
    """The agreement as markup text; raises ``AgreementInvalid`` if it is not specific."""
    problems = validate_agreement(data)
    if problems:
        raise AgreementInvalid(problems)
    env = template_environment(template_dir)
    template = env.select_template([f"{data.dispute_type}.txt.j2", "base.txt.j2"])
    return template.render(a=data, title=AGREEMENT["title"])


def build_agreement_pdf(
    data: AgreementData,
    *,
    doc_code: str,
    public_url: str,
    template_dir: Path | str = DEFAULT_TEMPLATE_DIR,
    font_path: str | None = None,
) -> AgreementPdf:
    text = render_agreement_text(data, template_dir)
    pdf = DocumentPdf(doc_code=doc_code, public_url=public_url, font_path=font_path)
    pdf.set_title(AGREEMENT["title"] + " " + doc_code)
    pdf.set_subject(data.case_code)
    pdf.add_page()
    _write_markup(pdf, text)
    slots = _signature_block(pdf, data)
    body = bytes(pdf.output())
    signable = _add_signature_fields(body, slots)
    return AgreementPdf(pdf=signable, doc_code=doc_code,
                        sha256=hashlib.sha256(signable).hexdigest(), slots=slots)


def _write_markup(pdf: DocumentPdf, text: str) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for block in _paragraphs(text):
        if block.startswith("# "):
            pdf.set_font(FONT_FAMILY, size=20)
            pdf.multi_cell(width, 12, block[2:].strip(), align="C", new_x="LMARGIN",
                           new_y="NEXT")
            pdf.ln(4)
        elif block.startswith("## "):
            pdf.set_font(FONT_FAMILY, size=13)
            pdf.ln(2)
            pdf.multi_cell(width, 8, block[3:].strip(), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font(FONT_FAMILY, size=11)
            pdf.multi_cell(width, 6.5, block, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
    pdf.set_font(FONT_FAMILY, size=11)


def _paragraphs(text: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
        elif line.startswith("#"):
            if current:
                blocks.append("\n".join(current))
                current = []
            blocks.append(line)
        else:
            current.append(line.rstrip())
    if current:
        blocks.append("\n".join(current))
    return blocks


def _signature_block(pdf: DocumentPdf, data: AgreementData) -> list[SignatureSlot]:
    row_h, box_w, box_h, seal = 24.0, 62.0, 20.0, 42.0
    needed = row_h * (len(data.parties) + 1) + seal + 20
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(6)
    slots: list[SignatureSlot] = []
    box_x = pdf.w - pdf.r_margin - box_w
    rows = [(f"sig-party-{n}", "party", AGREEMENT["sign_party"].format(role=p.role, name=p.name),
             p.signer_key or p.name) for n, p in enumerate(data.parties, start=1)]
    rows.append((MEDIATOR_FIELD, "mediator", AGREEMENT["sign_mediator"].format(name=data.mediator),
                 data.mediator_key or data.mediator))
    for field_name, role, label, key in rows:
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y + box_h / 2 - 3)
        pdf.cell(box_x - pdf.l_margin - 4, 6, label)
        pdf.set_draw_color(180, 180, 180)
        pdf.rect(box_x, y, box_w, box_h)  # a faint frame shows where to sign on paper too
        slots.append(SignatureSlot(field_name, role, label, key, pdf.page_no() - 1,
                                   mm_box_to_pdf(box_x, y, box_w, box_h)))
        pdf.set_xy(pdf.l_margin, y + row_h)
    y = pdf.get_y() + 2
    label = AGREEMENT["sign_seal"].format(committee=data.committee)
    pdf.set_xy(pdf.l_margin, y + seal / 2 - 6)
    pdf.cell(0, 6, label)
    pdf.set_xy(pdf.l_margin, y + seal / 2)
    pdf.cell(0, 6, AGREEMENT["sign_date"] + cn_date(data.signed_on))
    seal_x = pdf.w - pdf.r_margin - seal - (box_w - seal) / 2
    slots.append(SignatureSlot(SEAL_FIELD, "seal", label, data.committee, pdf.page_no() - 1,
                               mm_box_to_pdf(seal_x, y, seal, seal)))
    return slots


def _add_signature_fields(body: bytes, slots: list[SignatureSlot]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(body), strict=False)
    for slot in slots:
        spec = SigFieldSpec(sig_field_name=slot.field_name, on_page=slot.page, box=slot.box,
                            readable_field_name=slot.label)
        if slot.role == "seal":
            # The seal is the last signature. An approval signature cannot carry a DocMDP
            # certification (that must be the first signature), so the seal field gets a
            # PDF 2.0 lock dictionary: lock all fields and allow no further change (P=1).
            spec = SigFieldSpec(sig_field_name=slot.field_name, on_page=slot.page,
                                box=slot.box, readable_field_name=slot.label,
                                field_mdp_spec=FieldMDPSpec(action=FieldMDPAction.ALL),
                                doc_mdp_update_value=MDPPerm.NO_CHANGES)
        append_signature_field(writer, spec)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- formatting filters used by the templates ------------------------------------------

def format_yuan(amount: Decimal | int | float | None) -> str:
    if amount is None:
        return ""
    return f"{Decimal(str(amount)).quantize(Decimal('0.01')):,}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def yuan_in_words(amount: Decimal | int | float | None) -> str:
    """人民币大写: 50000.5 -> 伍万元伍角. Courts and banks read amounts in this form."""
    if amount is None:
        return ""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + yuan_in_words(-value)
    fen_total = int(value * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    text = _integer_in_words(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return text


def _integer_in_words(number: int) -> str:
    groups: list[int] = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    parts: list[str] = []
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(parts)
            continue
        if parts and (zero_pending or group < 1000):
            parts.append("零")
        parts.append(_group_in_words(group) + _BIG_UNITS[index])
        zero_pending = False
    return "".join(parts)


def _group_in_words(group: int) -> str:
    out, zero = "", False
    for pos in range(3, -1, -1):
        digit = group // 10**pos % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL_UNITS[pos]
    return out


def cn_date(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""
