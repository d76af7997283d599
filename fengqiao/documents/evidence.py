"""Evidence uploads: validate, fingerprint, thumbnail, store under generated keys.

``prepare_evidence`` is pure (bytes in, record and blobs out) so it can run in a worker
thread; ``save_evidence`` writes the blobs through any ``FileStore``. The original bytes are
kept unchanged because their SHA-256 is what proves the evidence was not altered; only the
thumbnail (what lists and the mediation room show) is re-encoded, which drops EXIF and with
it the GPS position and camera serial a phone photo carries.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from fengqiao.documents.filetypes import UnsupportedFile, safe_display_name, sniff
from fengqiao.documents.texts import UPLOAD
from fengqiao.storage.files import FileStore

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)
# Pillow only warns above its default limit; a crafted PNG can still decode to gigabytes.
MAX_IMAGE_PIXELS = 60_000_000
# Every image kind we accept is decoded at upload: its size is checked, it gets a thumbnail,
# and a copy without metadata can be made for the other party. One we cannot decode is refused.
_THUMBNAILABLE = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"}
# iPhones send HEIC; without this Pillow cannot open it, and its EXIF (GPS) could not be removed.
register_heif_opener()


class MetadataNotRemovable(ValueError):
    """An image whose metadata could not be removed: it is not handed to another party."""


class EvidenceRejected(ValueError):
    """The upload is refused; ``message`` is Chinese text for the person who uploaded it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PreparedEvidence:
    record: dict[str, Any]  # what the case side stores in its evidence table
    blobs: dict[str, bytes] = field(default_factory=dict)  # storage key -> bytes


def evidence_key(case_id: str | int, evidence_id: str) -> str:
    return f"evidence/{case_id}/{evidence_id}"


def prepare_evidence(
    *,
    case_id: str | int,
    data: bytes,
    filename: str | None,
    uploaded_by: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: datetime | None = None,
) -> PreparedEvidence:
    """Check an upload and describe it; raise ``EvidenceRejected`` when it is refused."""
    if not data:
        raise EvidenceRejected("empty", _upload_text("empty"))
    if len(data) > max_bytes:
        limit_mb = max(1, max_bytes // (1024 * 1024))
        raise EvidenceRejected("too_large", _upload_text("too_large", limit_mb=limit_mb))
    try:
        ftype = sniff(data)
    except UnsupportedFile as exc:
        raise EvidenceRejected(exc.code, str(exc)) from None

    evidence_id = uuid.uuid4().hex
    key = evidence_key(case_id, evidence_id)
    blobs = {key: data}
    record: dict[str, Any] = {
        "id": evidence_id,
        "case_id": case_id,
        "storage_key": key,
        "display_name": safe_display_name(filename),
        "mime": ftype.mime,
        "ext": ftype.ext,
        "kind": ftype.kind,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "uploaded_by": uploaded_by,
        "uploaded_at": (now or datetime.now(UTC)).isoformat(),
        "thumbnail_key": None,
        "width": None,
        "height": None,
    }
    if ftype.mime in _THUMBNAILABLE:
        thumb, width, height = make_thumbnail(data)
        thumb_key = key + ".thumb.jpg"
        blobs[thumb_key] = thumb
        record.update(thumbnail_key=thumb_key, width=width, height=height)
    return PreparedEvidence(record=record, blobs=blobs)


def make_thumbnail(data: bytes) -> tuple[bytes, int, int]:
    """A JPEG thumbnail without any metadata, upright, plus the original's pixel size."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise EvidenceRejected("image_too_big", _upload_text("image_too_big"))
            img.load()
            # Turn the picture the way the camera meant before the orientation tag is lost.
            upright = ImageOps.exif_transpose(img)
            upright.thumbnail(THUMBNAIL_SIZE)
            # Paste the pixels into a fresh image: nothing of the original's info dict
            # (EXIF, XMP, ICC, comments) can travel along.
            clean = Image.new("RGB", upright.size, "white")
            rgba = upright.convert("RGBA")
            clean.paste(rgba, mask=rgba.getchannel("A"))
    except EvidenceRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise EvidenceRejected("damaged_image", _upload_text("damaged_image")) from None
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue(), width, height


_JPEG_DROP = {0xE1, 0xED, 0xFE} | set(range(0xE3, 0xED)) | {0xEF}  # APP1 EXIF/XMP, APP13 IPTC,
# COM, and the other vendor segments; APP0 (JFIF), APP2 (ICC) and APP14 (Adobe) stay.
_PNG_DROP = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"}


def strip_metadata(data: bytes, mime: str) -> tuple[bytes, str]:
    """(bytes, MIME) of the image without EXIF (GPS position, camera serial), XMP, IPTC or
    text chunks, for everyone but the uploader and staff. JPEG and PNG lose only those
    segments (pixels stay bit-identical); an EXIF orientation is applied to the pixels first
    so the picture still stands upright. HEIC becomes a JPEG (which any phone shows), other
    images a PNG, re-encoded from pixels. Non-images come back as they are. An image that
    cannot be decoded raises ``MetadataNotRemovable`` rather than going out with its GPS."""
    if mime == "image/jpeg":
        try:
            with Image.open(io.BytesIO(data)) as img:
                orientation = img.getexif().get(0x0112, 1)
                if orientation not in (1, None):
                    out = io.BytesIO()
                    ImageOps.exif_transpose(img).convert("RGB").save(out, "JPEG", quality=95)
                    data = out.getvalue()
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
            raise MetadataNotRemovable(mime) from None
        return _strip_jpeg(data), mime
    if mime == "image/png":
        return _strip_png(data), mime
    if mime.startswith("image/"):
        target, fmt = ("image/jpeg", "JPEG") if mime == "image/heic" else ("image/png", "PNG")
        try:
            with Image.open(io.BytesIO(data)) as img:
                upright = ImageOps.exif_transpose(img)
                mode = "RGB" if fmt == "JPEG" else "RGBA"
                # A fresh image: nothing of the original's info dict (EXIF, XMP) travels along.
                clean = Image.new(mode, upright.size)
                clean.paste(upright.convert(mode))
                out = io.BytesIO()
                clean.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
                return out.getvalue(), target
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError,
                Image.DecompressionBombError):
            raise MetadataNotRemovable(mime) from None
    return data, mime


def _strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        return data
    out, i = bytearray(b"\xff\xd8"), 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker not in _JPEG_DROP:
            out += data[i:i + 2 + length]
        i += 2 + length
    return bytes(out + data[i:])


def _strip_png(data: bytes) -> bytes:
    sig = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(sig):
        return data
    out, i = bytearray(sig), len(sig)
    while i + 8 <= len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        end = i + 12 + length
        if kind not in _PNG_DROP:
            out += data[i:end]
        i = end
    return bytes(out)


async def save_evidence(store: FileStore, prepared: PreparedEvidence) -> dict[str, Any]:
    """Write the blobs; on failure remove what was written so no orphan stays behind."""
    written: list[str] = []
    try:
        for key, blob in prepared.blobs.items():
            await store.put(key, blob)
            written.append(key)
    except BaseException:
        for key in written:
            await store.delete(key)
        raise
    return prepared.record


async def delete_evidence(store: FileStore, record: dict[str, Any]) -> None:
    for key in (record.get("storage_key"), record.get("thumbnail_key")):
        if key and await store.exists(key):
            await store.delete(key)


async def load_verified(store: FileStore, record: dict[str, Any]) -> bytes:
    """Read the original back and check it still has the fingerprint taken at upload."""
    data = await store.get(record["storage_key"])
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ValueError(f"evidence {record['id']} does not match its recorded SHA-256")
    return data


def _upload_text(code: str, **kwargs: Any) -> str:
    return UPLOAD[code].format(**kwargs)
