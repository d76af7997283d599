"""Evidence photos reach the other party without GPS position or camera serial; the uploader
and staff get the untouched original, whose SHA-256 still matches."""

from __future__ import annotations

import hashlib
import io

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from fengqiao.app import create_app
from fengqiao.documents.evidence import MetadataNotRemovable, strip_metadata
from tests.web.docs_helpers import make_case, party_token, staff_headers

GPS_TAG, SERIAL_TAG = 0x8825, 0xA431  # GPSInfo, BodySerialNumber (in the Exif IFD)


def photo(orientation: int = 1, fmt: str = "JPEG") -> bytes:
    img = Image.new("RGB", (64, 32), "white")
    img.putpixel((0, 0), (255, 0, 0))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = orientation
    exif[GPS_TAG] = {1: "N", 2: (30.0, 15.0, 0.0)}
    exif.get_ifd(0x8769)[SERIAL_TAG] = "SN-123456789"
    out = io.BytesIO()
    img.save(out, fmt, exif=exif)
    return out.getvalue()


def test_jpeg_loses_gps_and_serial_and_keeps_its_pixels() -> None:
    original = photo()
    assert b"SN-123456789" in original
    clean, _ = strip_metadata(original, "image/jpeg")
    assert b"SN-123456789" not in clean and b"PhoneMaker" not in clean
    with Image.open(io.BytesIO(clean)) as img:
        assert dict(img.getexif()) == {}
        assert img.size == (64, 32)
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(clean)) as b:
        assert a.tobytes() == b.tobytes()  # same compressed scan, same pixels


def test_rotated_photo_still_stands_upright() -> None:
    clean, _ = strip_metadata(photo(orientation=6), "image/jpeg")
    with Image.open(io.BytesIO(clean)) as img:
        assert img.size == (32, 64) and dict(img.getexif()) == {}


def test_png_text_and_exif_chunks_go() -> None:
    original = photo(fmt="PNG")
    assert b"eXIf" in original
    clean, _ = strip_metadata(original, "image/png")
    assert b"eXIf" not in clean and b"SN-123456789" not in clean
    with Image.open(io.BytesIO(clean)) as img:
        assert img.size == (64, 32)


@pytest.fixture
async def client(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_other_party_gets_a_clean_copy_uploader_and_staff_the_original(client) -> None:
    app = client.app
    case = await make_case(app)
    original = photo()
    form = FormData()
    form.add_field("file", original, filename="现场.jpg", content_type="image/jpeg")
    mine = party_token(app, case, case.applicant, "evidence")
    resp = await client.post(f"/api/v1/cases/{case.code}/evidence?t={mine}", data=form)
    assert resp.status in (200, 201), await resp.text()
    item = await resp.json()
    file_id = item.get("id") or item.get("evidence", {}).get("id")
    assert item.get("sha256", hashlib.sha256(original).hexdigest()) == hashlib.sha256(
        original).hexdigest()
    theirs = party_token(app, case, case.respondent, "evidence")
    served = await (await client.get(f"/api/v1/evidence/{file_id}/file?t={theirs}")).read()
    assert b"SN-123456789" not in served and served != original
    for headers, url in (({}, f"/api/v1/evidence/{file_id}/file?t={mine}"),
                         (await staff_headers(app), f"/api/v1/evidence/{file_id}/file")):
        got = await (await client.get(url, headers=headers)).read()
        assert got == original


def test_heic_becomes_a_jpeg_without_gps_or_serial() -> None:
    original = photo(fmt="HEIF")
    assert b"SN-123456789" in original
    clean, mime = strip_metadata(original, "image/heic")
    assert mime == "image/jpeg" and b"SN-123456789" not in clean and b"PhoneMaker" not in clean
    with Image.open(io.BytesIO(clean)) as img:
        assert img.format == "JPEG" and dict(img.getexif()) == {}
        assert img.size == (64, 32)


def test_an_image_that_cannot_be_decoded_is_not_handed_out_as_it_is() -> None:
    """Was: a picture Pillow could not open was returned untouched, metadata and all."""
    broken = b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"\x00" * 20 + b"Exif SN-123456789"
    with pytest.raises(MetadataNotRemovable):
        strip_metadata(broken, "image/webp")
