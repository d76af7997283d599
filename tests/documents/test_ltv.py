"""Long-term validation: every signature PAdES B-LT, the sealed file B-LTA, checkable in
two years with only the platform root trusted and nothing fetched."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from fengqiao.documents.agreement import AgreementPdf, build_agreement_pdf
from fengqiao.documents.ltv import (
    add_long_term_data,
    simulate_future_validation,
    timestamping_for,
)
from fengqiao.documents.pki import PlatformCA
from fengqiao.documents.signing import sign_field
from fengqiao.documents.verify import verify_pdf

from .samples import debt_agreement
from .test_signing import IDENTITIES, SECRET, drawn_signature, order


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PlatformCA:
    return PlatformCA.load_or_create(tmp_path_factory.mktemp("pki"), id_hash_secret=SECRET,
                                     public_url="https://fq.example.cn")


@pytest.fixture(scope="module")
def agreement() -> AgreementPdf:
    return build_agreement_pdf(debt_agreement(), doc_code="FQ-LTV-1", public_url="http://h")


async def _sign(pdf: bytes, ca: PlatformCA, agreement: AgreementPdf, *, ltv: bool) -> bytes:
    stamping = timestamping_for(ca)
    expected = order(agreement)
    for slot in expected:
        identity = IDENTITIES[slot.field_name]
        seal = identity.role == "seal"
        pdf = await sign_field(pdf, field_name=slot.field_name, identity=identity, ca=ca,
                               expected=expected,
                               signature_png=None if seal else drawn_signature(),
                               timestamper=stamping.stamper)
        if ltv:
            pdf = await add_long_term_data(pdf, ca, stamping, archive=seal)
    return pdf


@pytest.fixture(scope="module")
def sealed(ca: PlatformCA, agreement: AgreementPdf) -> bytes:
    return asyncio.run(_sign(agreement.pdf, ca, agreement, ltv=True))


async def test_every_signature_passes_the_two_year_lta_simulation(
        sealed: bytes, ca: PlatformCA) -> None:
    root_only = [ca.trust_root]  # not the issuing CA, not the TSA: only the published root
    checks = await simulate_future_validation(sealed, root_only, years=2)
    assert [c.field_name for c in checks] == ["sig-party-1", "sig-party-2", "sig-mediator",
                                              "sig-seal"]
    assert all(c.passed for c in checks), checks
    assert all(c.best_signature_time is not None for c in checks)


async def test_without_revocation_data_the_simulation_fails(
        ca: PlatformCA, agreement: AgreementPdf) -> None:
    # The same signatures with timestamps (B-T) but no DSS: the check must catch it.
    bare = await _sign(agreement.pdf, ca, agreement, ltv=False)
    checks = await simulate_future_validation(bare, [ca.trust_root], years=2)
    assert not any(c.passed for c in checks)


async def test_sealed_file_ends_with_a_document_timestamp(sealed: bytes,
                                                          ca: PlatformCA) -> None:
    reader = PdfFileReader(io.BytesIO(sealed))
    assert [t.field_name for t in reader.embedded_timestamp_signatures] == ["doc-timestamp"]
    assert reader.embedded_signatures[-1].field_name == "doc-timestamp"
    dss = reader.root["/DSS"]
    crl_issuers = {asn1_crl.CertificateList.load(c.get_object().data).issuer.native[
        "common_name"] for c in dss["/CRLs"]}
    assert any("根证书" in name for name in crl_issuers)  # the root's list (issuing CA)
    assert any("签名证书颁发" in name for name in crl_issuers)  # signer and TSA certs
    result = await verify_pdf(sealed, [ca.trust_root], intermediates=ca.intermediates)
    assert result.ok, result.message
    assert result.long_term and result.archive_timestamp is not None
    assert all(s.timestamp is not None for s in result.signatures)  # B-T under each


async def test_bytes_after_the_document_timestamp_are_detected(sealed: bytes,
                                                               ca: PlatformCA) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = await verify_pdf(out.getvalue(), [ca.trust_root], intermediates=ca.intermediates)
    assert not result.ok and result.modified_after_last


def test_crls_are_signed_by_their_ca_and_name_no_revoked_certificate(ca: PlatformCA) -> None:
    issuing = x509.load_der_x509_crl(ca.issuing_crl())
    assert issuing.is_signature_valid(ca.issuing_cert.public_key())  # type: ignore[arg-type]
    assert len(list(issuing)) == 0
    root = ca.root_crl()
    assert root is not None
    assert x509.load_der_x509_crl(root).is_signature_valid(
        ca.root_cert.public_key())  # type: ignore[arg-type]
    assert ca.root_pem().startswith(b"-----BEGIN CERTIFICATE-----")


def test_signer_certificates_point_to_the_published_crl(ca: PlatformCA) -> None:
    signer = ca.issue_signer(IDENTITIES["sig-party-1"])
    points = signer.signing_cert.crl_distribution_points
    urls = [p.url for p in points]
    assert urls == ["https://fq.example.cn/api/v1/trust/issuing-ca.crl"]


def test_platform_tsa_is_made_once_and_kept(tmp_path: Path) -> None:
    first = PlatformCA.load_or_create(tmp_path, id_hash_secret=SECRET)
    cert, _ = first.time_stamping_authority()
    again = PlatformCA.load_or_create(tmp_path, id_hash_secret=SECRET)
    assert again.time_stamping_authority()[0].dump() == cert.dump()
    assert (tmp_path / "tsa.key.pem").stat().st_mode & 0o077 == 0
    assert cert.extended_key_usage_value.native == ["time_stamping"]
