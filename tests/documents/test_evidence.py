from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from fengqiao.documents.evidence import (
    EvidenceRejected,
    delete_evidence,
    load_verified,
    prepare_evidence,
    save_evidence,
)
from fengqiao.storage.files import FileStore

GPS_TAG = 0x8825


def photo_with_exif() -> bytes:
    img = Image.new("RGB", (640, 480), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[GPS_TAG] = {1: "N", 2: (30.0, 15.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_image_record_has_hash_and_clean_thumbnail() -> None:
    data = photo_with_exif()
    assert Image.open(io.BytesIO(data)).getexif().get(0x010F) == "PhoneMaker"
    prepared = prepare_evidence(case_id="FQ-1", data=data, filename="../借条 照片.JPG")
    rec = prepared.record
    assert rec["mime"] == "image/jpeg" and rec["kind"] == "image"
    assert rec["sha256"] == hashlib.sha256(data).hexdigest()
    assert rec["display_name"] == "借条 照片.JPG"
    assert rec["storage_key"].startswith("evidence/FQ-1/")
    assert "借条" not in rec["storage_key"]
    assert prepared.blobs[rec["storage_key"]] == data  # original kept byte for byte
    thumb = Image.open(io.BytesIO(prepared.blobs[rec["thumbnail_key"]]))
    assert dict(thumb.getexif()) == {}
    assert "exif" not in thumb.info
    # The orientation tag was applied before it was dropped: 640x480 became portrait.
    assert thumb.size[1] > thumb.size[0]
    assert (rec["width"], rec["height"]) == (640, 480)


def test_pdf_gets_no_thumbnail() -> None:
    prepared = prepare_evidence(case_id=7, data=b"%PDF-1.4\n...", filename="a.pdf")
    assert prepared.record["thumbnail_key"] is None
    assert list(prepared.blobs) == [prepared.record["storage_key"]]


def test_too_large_is_refused_with_limit_in_message() -> None:
    with pytest.raises(EvidenceRejected) as err:
        prepare_evidence(case_id=1, data=b"%PDF-" + b"0" * 3_000_000, filename="x.pdf",
                         max_bytes=2 * 1024 * 1024)
    assert err.value.code == "too_large"
    assert "2 MB" in err.value.message


def test_html_named_jpg_is_refused() -> None:
    with pytest.raises(EvidenceRejected) as err:
        prepare_evidence(case_id=1, data=b"<html><script>x()</script>", filename="photo.jpg")
    assert err.value.code == "dangerous_type"


def test_truncated_image_is_refused() -> None:
    data = photo_with_exif()[:200]
    with pytest.raises(EvidenceRejected) as err:
        prepare_evidence(case_id=1, data=data, filename="a.jpg")
    assert err.value.code == "damaged_image"


async def test_save_load_and_delete(file_store: FileStore) -> None:
    assert isinstance(file_store, FileStore)
    prepared = prepare_evidence(case_id=3, data=photo_with_exif(), filename="p.jpg")
    record = await save_evidence(file_store, prepared)
    assert await load_verified(file_store, record) == prepared.blobs[record["storage_key"]]
    await file_store.put(record["storage_key"], b"tampered")
    with pytest.raises(ValueError):
        await load_verified(file_store, record)
    await delete_evidence(file_store, record)
    assert not await file_store.exists(record["storage_key"])
    assert not await file_store.exists(record["thumbnail_key"])
