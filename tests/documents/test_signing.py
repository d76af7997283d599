from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fengqiao.documents.agreement import AgreementPdf, build_agreement_pdf
from fengqiao.documents.pki import PlatformCA, SignerIdentity
from fengqiao.documents.signing import (
    ExpectedSigner,
    SigningRefused,
    existing_signatures,
    sign_field,
)
from fengqiao.documents.verify import verify_pdf

from .samples import debt_agreement

SECRET = b"test-secret"


def drawn_signature() -> bytes:
    img = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(10, 80), (80, 20), (150, 70), (290, 30)], fill="black", width=6)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PlatformCA:
    return PlatformCA.load_or_create(tmp_path_factory.mktemp("pki"), id_hash_secret=SECRET)


@pytest.fixture(scope="module")
def agreement() -> AgreementPdf:
    return build_agreement_pdf(debt_agreement(), doc_code="FQ-X-1", public_url="http://h")


def order(agreement: AgreementPdf) -> list[ExpectedSigner]:
    return [ExpectedSigner(s.field_name, s.signer_key, s.label) for s in agreement.slots]


IDENTITIES = {
    "sig-party-1": SignerIdentity("张三", "person-1", "party", "110101199001011234"),
    "sig-party-2": SignerIdentity("李四", "person-2", "party", "330681198505052345"),
    "sig-mediator": SignerIdentity("王调解", "mediator-9", "mediator", "330681197001010011",
                                   "枫桥镇人民调解委员会"),
    "sig-seal": SignerIdentity("枫桥镇人民调解委员会", "枫桥镇人民调解委员会", "seal",
                               organisation="枫桥镇人民调解委员会"),
}


async def sign_all(pdf: bytes, ca: PlatformCA, expected: list[ExpectedSigner],
                   upto: int | None = None) -> bytes:
    for slot in expected[:upto]:
        identity = IDENTITIES[slot.field_name]
        png = None if identity.role == "seal" else drawn_signature()
        pdf = await sign_field(pdf, field_name=slot.field_name, identity=identity, ca=ca,
                               expected=expected, signature_png=png)
    return pdf


@pytest.fixture(scope="module")
def fully_signed(ca: PlatformCA, agreement: AgreementPdf) -> bytes:
    # Signed once per module (a sync fixture with its own loop) to keep the suite quick.
    return asyncio.run(sign_all(agreement.pdf, ca, order(agreement)))


def test_dev_ca_is_created_once_and_reused(tmp_path: Path) -> None:
    first = PlatformCA.load_or_create(tmp_path, id_hash_secret=SECRET)
    again = PlatformCA.load_or_create(tmp_path, id_hash_secret=SECRET)
    assert first.root_cert == again.root_cert
    assert (tmp_path / "issuing-ca.key.pem").stat().st_mode & 0o077 == 0


async def test_two_parties_mediator_and_seal_validate(fully_signed: bytes,
                                                      ca: PlatformCA) -> None:
    result = await verify_pdf(fully_signed, [ca.trust_root], intermediates=ca.intermediates)
    assert result.ok, result.message
    assert [r.field_name for r in result.signatures] == ["sig-party-1", "sig-party-2",
                                                         "sig-mediator", "sig-seal"]
    first = result.signatures[0]
    assert first.signer_name == "张三" and first.signer_key == "person-1"
    assert first.signer_id.startswith("110***********1234-")
    assert "110101199001011234" not in fully_signed.decode("latin-1")
    assert first.coverage == "revision" and first.modification_level == "form_filling"
    assert result.signatures[-1].coverage == "whole_document"
    assert all(r.intact and r.valid and r.trusted for r in result.signatures)
    assert not result.modified_after_last
    assert "全部 4 个签名有效" in result.message


async def test_one_changed_byte_is_detected(fully_signed: bytes, ca: PlatformCA) -> None:
    # Flip one byte of the page content, which every signature covers.
    position = fully_signed.index(b"stream\n", fully_signed.index(b"/Contents")) + 40
    tampered = bytearray(fully_signed)
    tampered[position] ^= 0x01
    result = await verify_pdf(bytes(tampered), [ca.trust_root], intermediates=ca.intermediates)
    assert not result.ok
    assert not any(r.intact for r in result.signatures)
    assert "篡改" in result.message


async def test_change_appended_after_seal_is_detected(fully_signed: bytes,
                                                      ca: PlatformCA) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(fully_signed))
    writer.root["/Lang"] = generic.TextStringObject("en")  # harmless-looking, but a change
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = await verify_pdf(out.getvalue(), [ca.trust_root], intermediates=ca.intermediates)
    assert not result.ok
    assert result.modified_after_last
    assert result.signatures[-1].intact  # the seal itself is untouched ...
    assert result.signatures[-1].docmdp_ok is False  # ... but its lock forbids any change
    assert "修改" in result.message


async def test_forged_ca_is_reported_invalid(tmp_path: Path, ca: PlatformCA,
                                             agreement: AgreementPdf) -> None:
    forger = PlatformCA.load_or_create(tmp_path, id_hash_secret=SECRET)  # same names, own keys
    forged = await sign_all(agreement.pdf, forger, order(agreement))
    result = await verify_pdf(forged, [ca.trust_root], intermediates=ca.intermediates)
    assert not result.ok
    assert all(r.intact and not r.trusted for r in result.signatures)
    assert "不可信" in result.message
    own = await verify_pdf(forged, [forger.trust_root], intermediates=forger.intermediates)
    assert own.ok  # the same file is fine for whoever trusts the forger's root


async def test_out_of_order_twice_and_for_someone_else(ca: PlatformCA,
                                                        agreement: AgreementPdf) -> None:
    expected = order(agreement)
    pdf = agreement.pdf
    with pytest.raises(SigningRefused) as err:  # mediator before the parties
        await sign_field(pdf, field_name="sig-mediator", identity=IDENTITIES["sig-mediator"],
                         ca=ca, expected=expected)
    assert err.value.code == "out_of_order" and "申请人" in err.value.message
    with pytest.raises(SigningRefused) as err:  # 李四 signing 张三's field
        await sign_field(pdf, field_name="sig-party-1", identity=IDENTITIES["sig-party-2"],
                         ca=ca, expected=expected)
    assert err.value.code == "wrong_signer"
    pdf = await sign_all(pdf, ca, expected, upto=1)
    with pytest.raises(SigningRefused) as err:  # 张三 again, now in 李四's field
        await sign_field(pdf, field_name="sig-party-2", identity=IDENTITIES["sig-party-1"],
                         ca=ca, expected=expected)
    assert err.value.code == "already_signed"
    with pytest.raises(SigningRefused) as err:
        await sign_field(pdf, field_name="sig-9", identity=IDENTITIES["sig-party-2"],
                         ca=ca, expected=expected)
    assert err.value.code == "unknown_field"
    # A file whose existing signature does not match the plan is refused outright.
    swapped = [expected[1], expected[0], *expected[2:]]
    with pytest.raises(SigningRefused) as err:
        await sign_field(pdf, field_name="sig-party-1", identity=IDENTITIES["sig-party-2"],
                         ca=ca, expected=swapped)
    assert err.value.code == "order_mismatch"
    assert [s.field_name for s in existing_signatures(pdf)] == ["sig-party-1"]


async def test_not_a_png_signature_is_refused(ca: PlatformCA, agreement: AgreementPdf) -> None:
    with pytest.raises(SigningRefused) as err:
        await sign_field(agreement.pdf, field_name="sig-party-1",
                         identity=IDENTITIES["sig-party-1"], ca=ca, expected=order(agreement),
                         signature_png=b"<svg/>")
    assert err.value.code == "bad_image"


async def test_timestamped_signature_is_pades_b_t(ca: PlatformCA,
                                                  agreement: AgreementPdf) -> None:
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    tsa_cert, tsa_key = ca.issue_tsa()
    stamper = DummyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key)
    pdf = await sign_field(agreement.pdf, field_name="sig-party-1",
                           identity=IDENTITIES["sig-party-1"], ca=ca,
                           expected=order(agreement), signature_png=drawn_signature(),
                           timestamper=stamper)
    result = await verify_pdf(pdf, [ca.trust_root], intermediates=ca.intermediates)
    assert result.ok, result.message
    assert result.signatures[0].timestamp is not None
