"""Check every signature of a PDF against the platform's trust root.

Answers the questions a resident, a court or the verify page asks: who signed, when, is the
signed content intact, does the certificate chain to our root, does the signature cover the
whole document, and was anything changed after the last signature.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from fengqiao.documents.texts import VERIFY

_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: "whole_document",
    SignatureCoverageLevel.ENTIRE_REVISION: "revision",
}


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    label: str  # what the field is called on the page, e.g. 申请人（签名）：王建国
    signer_name: str
    signer_key: str
    signer_id: str  # masked ID number and keyed hash from the certificate
    role: str
    organisation: str
    signed_at: datetime | None  # time the signer's software claimed
    timestamp: datetime | None  # time from a trusted timestamp authority (PAdES B-T)
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # the certificate chains to our root and was valid then
    coverage: str  # whole_document, revision, partial
    modification_level: str  # none, lta_updates, form_filling, annotations, other
    docmdp_ok: bool | None  # later changes are within what this signature allows
    ok: bool
    problems: list[str] = field(default_factory=list)
    operator: str = ""  # the seal: the natural person who applied it


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    signatures: list[SignatureReport]
    modified_after_last: bool
    message: str
    sha256: str
    archive_timestamp: datetime | None = None  # the document timestamp that ends the file
    long_term: bool = False  # every signature has its chain and CRLs in the DSS (B-LT)


def sentences(parts: list[str]) -> str:
    """Whole Chinese sentences one after another, each said once and ending with its own
    full stop: never "。；" between them."""
    said = [p.strip() for p in parts if p.strip()]
    ended = [p if p[-1] in "。！？" else p + "。" for p in said]
    return "".join(dict.fromkeys(ended))


async def verify_pdf(
    pdf: bytes,
    trust_roots: list[asn1_x509.Certificate],
    *,
    intermediates: list[asn1_x509.Certificate] | None = None,
    tsa_roots: list[asn1_x509.Certificate] | None = None,
) -> VerificationResult:
    digest = hashlib.sha256(pdf).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_regular_signatures
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError):
        return VerificationResult(False, [], False, VERIFY["not_pdf"], digest)
    if not embedded:
        return VerificationResult(False, [], False, VERIFY["no_signatures"], digest)

    reports = []
    for sig in embedded:
        reports.append(await _check_one(sig, trust_roots, intermediates or [],
                                        tsa_roots or trust_roots))
    problems = [p for r in reports for p in r.problems]
    # After the last signature only validation data (DSS) and document timestamps may
    # follow (pyHanko's diff analysis of the last signature spans every later revision).
    archive_at, archive_problem = await _check_archive_timestamps(
        reader, tsa_roots or trust_roots, intermediates or [])
    last_any = reader.embedded_signatures[-1]
    modified_after_last = (
        reports[-1].modification_level not in ("none", "lta_updates")
        or last_any.evaluate_signature_coverage() not in (
            SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION))
    if archive_problem:
        problems.append(archive_problem)
    if modified_after_last:
        problems.append(VERIFY["modified_after"])
    ok = not problems
    message = VERIFY["ok"].format(n=len(reports)) if ok else sentences(problems)
    return VerificationResult(ok, reports, modified_after_last, message, digest,
                              archive_timestamp=archive_at, long_term=_has_dss(reader))


async def _check_archive_timestamps(reader: PdfFileReader, tsa_roots: list, intermediates: list
                                    ) -> tuple[datetime | None, str | None]:
    latest = None
    for ts in reader.embedded_timestamp_signatures:
        vc = ValidationContext(trust_roots=tsa_roots, other_certs=intermediates,
                               allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = await async_validate_pdf_timestamp(ts, validation_context=vc)
        except Exception:  # noqa: BLE001 - a malformed timestamp is a finding
            return None, VERIFY["bad_timestamp"]
        if not (status.intact and status.valid and status.trusted):
            return None, VERIFY["bad_timestamp"]
        latest = status.timestamp
    return latest, None


def _has_dss(reader: PdfFileReader) -> bool:
    try:
        dss = reader.root.get("/DSS")
        return dss is not None and "/CRLs" in dss.get_object() \
            and "/Certs" in dss.get_object()
    except (KeyError, TypeError, ValueError):
        return False


async def _check_one(sig, trust_roots, intermediates, tsa_roots) -> SignatureReport:  # noqa: ANN001
    # Validate the chain at the moment of signing. Signer certificates live for an hour and
    # their keys are discarded after one use, so the claimed time is bounded by the
    # certificate itself; a trusted timestamp (B-T) pins it further.
    moment = sig.self_reported_timestamp
    vc = ValidationContext(trust_roots=trust_roots, other_certs=intermediates, moment=moment,
                           allow_fetching=False, revocation_mode="soft-fail")
    ts_vc = ValidationContext(trust_roots=tsa_roots, other_certs=intermediates,
                              allow_fetching=False, revocation_mode="soft-fail")
    subject = sig.signer_cert.subject.native
    name = str(subject.get("common_name", ""))
    label = field_label(sig)
    problems: list[str] = []
    try:
        status = await async_validate_pdf_signature(sig, signer_validation_context=vc,
                                                    ts_validation_context=ts_vc)
    except Exception:  # noqa: BLE001 - a malformed signature is a finding, not a crash
        problems.append(VERIFY["invalid"].format(field=label))
        return SignatureReport(sig.field_name, label, name, str(subject.get("user_id", "")),
                               str(subject.get("serial_number", "")),
                               str(subject.get("organizational_unit_name", "")),
                               str(subject.get("organization_name", "")), moment, None,
                               False, False, False, "partial", "other", None, False, problems)
    coverage = _COVERAGE.get(status.coverage, "partial") if status.coverage else "partial"
    level = status.modification_level
    level_name = level.name.lower() if level is not None else "other"
    ts = status.timestamp_validity
    if not status.intact:
        problems.append(VERIFY["broken"].format(field=label))
    elif not status.valid:
        problems.append(VERIFY["invalid"].format(field=label))
    elif not status.trusted or (ts is not None and not ts.trusted):
        problems.append(VERIFY["untrusted"].format(field=label))
    if status.docmdp_ok is False or level in (ModificationLevel.OTHER, None):
        problems.append(VERIFY["disallowed_change"].format(field=label))
    return SignatureReport(
        field_name=sig.field_name,
        label=label,
        signer_name=name,
        signer_key=str(subject.get("user_id", "")),
        signer_id=_display_id(str(subject.get("serial_number", ""))),
        role=str(subject.get("organizational_unit_name", "")),
        organisation=str(subject.get("organization_name", "")),
        signed_at=moment,
        timestamp=ts.timestamp if ts is not None else None,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=coverage,
        modification_level=level_name,
        docmdp_ok=status.docmdp_ok,
        ok=not problems,
        problems=problems,
        operator=str(subject.get("title", "") or "").removeprefix("用印人 "),
    )


def field_label(sig: object) -> str:
    """The field's name as the page prints it (the /TU the agreement sets), never the
    internal key; a generic Chinese name for fields of other origin."""
    try:
        readable = sig.sig_field.get("/TU")  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError, ValueError):
        readable = None
    if readable:
        return str(readable).split("：")[0]
    name = str(getattr(sig, "field_name", ""))
    if name.startswith("sig-party-") and name[10:].isdigit():
        return VERIFY["label_party"].format(n=int(name[10:]))
    return {"sig-mediator": VERIFY["label_mediator"],
            "sig-seal": VERIFY["label_seal"]}.get(name, VERIFY["label_other"])


def _display_id(serial: str) -> str:
    masked, _, fingerprint = serial.partition("-")
    return masked.replace("x", "*") + ("-" + fingerprint if fingerprint else "")


def coverage_text(coverage: str) -> str:
    return VERIFY[f"coverage_{'whole' if coverage == 'whole_document' else coverage}"]
