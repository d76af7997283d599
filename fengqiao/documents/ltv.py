"""Long-term validation: what a signature needs so a court can still check it in years.

Every signature the platform makes is PAdES B-LT: a signature timestamp (B-T) plus the
signer's chain and a CRL for every certificate in it, in the document security store (DSS).
The seal is followed by a document timestamp (B-LTA), which protects all of that.

Timestamps come from ``FENGQIAO_TSA_URL`` (RFC 3161, e.g. a licensed TSA) when it is set;
otherwise from the platform's own time-stamping authority, in process, whose certificate is
issued by the platform CA, so the embedded default is already B-LTA.

``simulate_future_validation`` runs pyHanko's AdES LTA validation as it would go at a future
date, with only the given roots trusted and nothing fetched: the check that the file carries
everything it needs.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import PdfTimeStamper, fields, signers
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.dss import async_add_validation_info
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator import policy_decl as certv_policy
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager

from fengqiao.documents.pki import PlatformCA, SignerIdentity


class PlatformTimeStamper(DummyTimeStamper):
    """The platform's RFC 3161 time-stamping authority, answering in process.

    pyHanko calls its in-process responder a "dummy" because it does not keep a serial
    counter or a log; the tokens it makes are ordinary RFC 3161 tokens, signed by a key
    whose certificate the platform CA issued for time stamping only.
    """

    def __init__(self, ca: PlatformCA) -> None:
        cert, key = ca.time_stamping_authority()
        super().__init__(tsa_cert=cert, tsa_key=key, override_md="sha256",
                         certs_to_embed=SimpleCertificateStore.from_certs(
                             [*ca.intermediates, ca.trust_root]))


@dataclass(frozen=True)
class Timestamping:
    """Which TSA stamps signatures, and what a validator must trust for it."""

    stamper: TimeStamper
    external: bool  # a TSA outside the platform (its chain is fetched when signing)
    trust_roots: list[asn1_x509.Certificate]


def timestamping_for(ca: PlatformCA, tsa_url: str = "",
                     tsa_roots: list[asn1_x509.Certificate] | None = None) -> Timestamping:
    if tsa_url:
        return Timestamping(HTTPTimeStamper(tsa_url), True, list(tsa_roots or []))
    return Timestamping(PlatformTimeStamper(ca), False, [])


def signing_context(ca: PlatformCA, timestamping: Timestamping | None = None,
                    *, now: datetime | None = None) -> ValidationContext:
    """The validation context pyHanko uses while signing, to collect the DSS contents.

    With the platform CA and the platform TSA everything is local (our own CRLs) and a
    missing CRL is an error; a licensed CA's or TSA's revocation data is fetched from its
    published CRL/OCSP addresses.
    """
    external = (timestamping is not None and timestamping.external) \
        or not ca.revocation_complete
    tsa_roots = timestamping.trust_roots if timestamping else []
    other = list(ca.intermediates)
    if timestamping is not None and not timestamping.external:
        other.append(ca.time_stamping_authority()[0])
    return ValidationContext(
        trust_roots=[ca.trust_root, *tsa_roots], other_certs=other,
        crls=ca.crls(now=now), allow_fetching=external,
        revocation_mode="soft-fail" if external else "hard-fail")


async def add_long_term_data(pdf: bytes, ca: PlatformCA, timestamping: Timestamping, *,
                             archive: bool = False) -> bytes:
    """Make the last signature of ``pdf`` PAdES B-LT (and, with ``archive``, end the file
    with a document timestamp: B-LTA).

    The revocation data is issued *after* the signature's timestamp: a validator sliding
    back to the signing time needs a CRL that postdates the signature, proving the key was
    not revoked when it signed. CRL times have whole seconds, so this waits for the next
    second (under one) before making them.
    """
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signature = reader.embedded_regular_signatures[-1]
    await _next_whole_second()
    context = signing_context(ca, timestamping)
    out = io.BytesIO()
    await async_add_validation_info(signature, context, output=out)
    if not archive:
        return out.getvalue()
    # The TSA's chain and CRLs are already in the DSS (it stamped the signatures too), so
    # the file ends with the document timestamp itself: nothing after it is unprotected.
    writer = IncrementalPdfFileWriter(io.BytesIO(out.getvalue()), strict=False)
    stamped = io.BytesIO()
    await PdfTimeStamper(timestamping.stamper, field_name="doc-timestamp").async_timestamp_pdf(
        writer, md_algorithm="sha256", output=stamped)
    return stamped.getvalue()


async def sign_as_platform(pdf: bytes, ca: PlatformCA, timestamping: Timestamping, *,
                           organisation: str, reason: str) -> bytes:
    """Sign a document the platform itself issues (service certificate, audit report, the
    judicial package's manifest) with an invisible signature, B-LTA like the agreement."""
    identity = SignerIdentity(name=organisation, signer_key="platform", role="platform",
                              organisation=organisation)
    meta = signers.PdfSignatureMetadata(
        field_name="sig-platform", md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, name=organisation, reason=reason,
        certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES)
    signer = signers.PdfSigner(meta, ca.issue_signer(identity),
                               timestamper=timestamping.stamper)
    out = io.BytesIO()
    await signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
                                output=out)
    return await add_long_term_data(out.getvalue(), ca, timestamping, archive=True)


async def _next_whole_second() -> None:
    now = datetime.now(UTC)
    await asyncio.sleep(1 - now.microsecond / 1_000_000 + 0.01)


@dataclass(frozen=True)
class FutureCheck:
    field_name: str
    passed: bool
    indication: str  # AdES sub-indication, e.g. OK, NO_POE, REVOKED_NO_POE
    best_signature_time: datetime | None


def _spec(trust_roots: list[asn1_x509.Certificate]) -> PdfSignatureValidationSpec:
    revinfo = certv_policy.CertRevTrustPolicy(
        revocation_checking_policy=certv_policy.REQUIRE_REVINFO,
        freshness_req_type=certv_policy.FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION)
    return PdfSignatureValidationSpec(signature_validation_spec=SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots), revinfo_policy=revinfo)))


async def simulate_future_validation(
    pdf: bytes, trust_roots: list[asn1_x509.Certificate], *,
    years: float = 2, now: datetime | None = None,
) -> list[FutureCheck]:
    """pyHanko's ``simulate_future_ades_lta_validation`` for every signature of ``pdf``,
    ``years`` from ``now``, trusting only ``trust_roots`` and fetching nothing."""
    now = now or datetime.now(UTC)
    future = now + timedelta(days=365.25 * years)
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    spec = _spec(trust_roots)
    results = []
    for sig in reader.embedded_regular_signatures:
        outcome = await ades.simulate_future_ades_lta_validation(
            sig, spec, future_validation_time=future, current_reference_time=now)
        results.append(FutureCheck(
            field_name=sig.field_name, passed=outcome.ades_subindic == AdESPassed.OK,
            indication=getattr(outcome.ades_subindic, "name", str(outcome.ades_subindic)),
            best_signature_time=outcome.best_signature_time))
    return results
