"""Sign an agreement PDF field by field, in a fixed order, with PAdES signatures.

Every signature is an incremental update, so the bytes earlier signers signed stay untouched
and their signatures stay valid. The committee seal is the last signature; its field carries
a lock dictionary (all fields, DocMDP P=1) so that after sealing any change is reported as a
violation (see docs/documents.md for why this is not a certification signature).

The order is enforced against the PDF itself, not only against the database: the signed
fields already in the file must be exactly the first entries of the expected order, each
signed by the person assigned to it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import StaticStampStyle

from fengqiao.documents.pdf_layout import find_cjk_font
from fengqiao.documents.pki import PlatformCA, SignerIdentity
from fengqiao.documents.texts import SIGNING

_MAX_SIGNATURE_PNG = 2 * 1024 * 1024


class SigningRefused(ValueError):
    def __init__(self, code: str, **kwargs: str) -> None:
        self.code = code
        self.message = SIGNING[code].format(**kwargs)
        super().__init__(self.message)


@dataclass(frozen=True)
class ExpectedSigner:
    field_name: str
    signer_key: str
    label: str = ""


@dataclass(frozen=True)
class ExistingSignature:
    field_name: str
    signer_key: str  # from the certificate's userId attribute
    signer_name: str
    signed_at: datetime | None


def existing_signatures(pdf: bytes) -> list[ExistingSignature]:
    """The signatures already in the PDF, in signing order."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    found = []
    for sig in reader.embedded_regular_signatures:
        subject = sig.signer_cert.subject.native
        found.append(ExistingSignature(
            field_name=sig.field_name,
            signer_key=str(subject.get("user_id", "")),
            signer_name=str(subject.get("common_name", "")),
            signed_at=sig.self_reported_timestamp,
        ))
    return found


def check_turn(pdf: bytes, field_name: str, signer_key: str,
               expected: list[ExpectedSigner]) -> ExpectedSigner:
    """Raise ``SigningRefused`` unless ``signer_key`` may sign ``field_name`` now."""
    by_field = {e.field_name: e for e in expected}
    if field_name not in by_field:
        raise SigningRefused("unknown_field", field=field_name)
    done = existing_signatures(pdf)
    for have, want in zip(done, expected, strict=False):
        if have.field_name != want.field_name or have.signer_key != want.signer_key:
            raise SigningRefused("order_mismatch")
    if len(done) > len(expected):
        raise SigningRefused("order_mismatch")
    if any(d.signer_key == signer_key for d in done):
        raise SigningRefused("already_signed")
    if any(d.field_name == field_name for d in done):
        raise SigningRefused("field_taken")
    if len(done) == len(expected):
        raise SigningRefused("all_done")
    turn = expected[len(done)]
    if turn.field_name != field_name:
        raise SigningRefused("out_of_order", expected=turn.label or turn.field_name)
    if turn.signer_key != signer_key:
        raise SigningRefused("wrong_signer")
    return turn


async def sign_field(
    pdf: bytes,
    *,
    field_name: str,
    identity: SignerIdentity,
    ca: PlatformCA,
    expected: list[ExpectedSigner],
    signature_png: bytes | None = None,
    timestamper: TimeStamper | None = None,
    reason: str | None = None,
) -> bytes:
    """Append ``identity``'s PAdES signature in ``field_name`` and return the new PDF.

    PAdES B-B without ``timestamper``, B-T with one; ``ltv.add_long_term_data`` then adds
    the chain and revocation data (B-LT) and, for the seal, a document timestamp (B-LTA).
    ``signature_png`` is the hand-drawn signature (H5 canvas); for the seal, leave it None
    and a round red seal with the committee's name is drawn.
    """
    check_turn(pdf, field_name, identity.signer_key, expected)
    if signature_png is not None:
        appearance = _load_signature_image(signature_png)
    elif identity.role == "seal":
        appearance = seal_image(identity.name)
    else:
        appearance = None
    signer = ca.issue_signer(identity)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=identity.name,
        reason=reason or (f"用印人：{identity.operator}" if identity.operator else None),
        # The seal field's lock already demands "no changes"; asking for the same avoids
        # pyHanko downgrading the request with a warning.
        docmdp_permissions=(fields.MDPPerm.NO_CHANGES if identity.role == "seal"
                            else fields.MDPPerm.FILL_FORMS),
    )
    style = (StaticStampStyle(background=PdfImage(appearance), border_width=0)
             if appearance is not None else None)
    pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper, stamp_style=style)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = io.BytesIO()
    await pdf_signer.async_sign_pdf(writer, existing_fields_only=True, output=out)
    return out.getvalue()


def _load_signature_image(data: bytes) -> Image.Image:
    if len(data) > _MAX_SIGNATURE_PNG:
        raise SigningRefused("bad_image")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG" or img.width * img.height > 4_000_000:
                raise SigningRefused("bad_image")
            img.load()
            rgba = img.convert("RGBA")
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        raise SigningRefused("bad_image") from None
    # Flatten onto white: a transparent canvas would otherwise render black in some viewers.
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    if not has_handwriting(flat):
        raise SigningRefused("blank_signature")
    return flat


MIN_INK_SHARE = 0.002  # of the canvas
MIN_EXTENT_SHARE = 0.12  # the strokes span at least this share of width or height


def has_handwriting(img: Image.Image) -> bool:
    """False for a blank or near-blank canvas: a tap, a dot or a tiny scribble."""
    gray = img.convert("L")
    ink = gray.point(lambda v: 255 if v < 160 else 0)
    box = ink.getbbox()
    if box is None:
        return False
    count = sum(ink.histogram()[255:])
    width, height = img.size
    spans = (box[2] - box[0]) >= MIN_EXTENT_SHARE * width \
        or (box[3] - box[1]) >= MIN_EXTENT_SHARE * height
    return count >= MIN_INK_SHARE * width * height and spans


def seal_image(committee: str, size: int = 400) -> Image.Image:
    """A round red seal with the committee's name along the top and a star in the middle."""
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    red = (200, 16, 16)
    margin = size // 40
    draw.ellipse((margin, margin, size - margin, size - margin), outline=red, width=size // 30)
    cx = cy = size / 2
    star_r = size * 0.14
    points = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_r * 0.4
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=red)
    path, index = find_cjk_font()
    font = ImageFont.truetype(path, size=size // 11, index=index)
    chars = list(committee[:16])
    span = math.radians(240)
    radius = size * 0.36
    for i, ch in enumerate(chars):
        angle = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(chars)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        glyph = Image.new("L", (size // 8, size // 8), 0)
        ImageDraw.Draw(glyph).text((size // 16, size // 16), ch, font=font, fill=255,
                                   anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        img.paste(red, (int(x - glyph.width / 2), int(y - glyph.height / 2)), glyph)
    return img
