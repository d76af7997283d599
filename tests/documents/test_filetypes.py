from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from fengqiao.documents.filetypes import UnsupportedFile, safe_display_name, sniff


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, fmt)
    return out.getvalue()


def ooxml(main_part: str, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types><Override PartName="/x.xml" '
            f'ContentType="{main_part}"/></Types>',
        )
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SLIDES_MAIN = (
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
)


@pytest.mark.parametrize(
    ("data", "mime", "ext"),
    [
        (image_bytes("JPEG"), "image/jpeg", "jpg"),
        (image_bytes("PNG"), "image/png", "png"),
        (image_bytes("GIF"), "image/gif", "gif"),
        (image_bytes("WEBP"), "image/webp", "webp"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "image/heic", "heic"),
        (b"%PDF-1.7\n%\xe2\xe3\n", "application/pdf", "pdf"),
        (b"ID3\x04\0\0\0\0\0\0" + b"\0" * 20, "audio/mpeg", "mp3"),
        (b"\xff\xfb\x90\x64" + b"\0" * 20, "audio/mpeg", "mp3"),
        (b"\0\0\0\x20ftypM4A \0\0\0\0M4A mp42isom", "audio/mp4", "m4a"),
        (b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41", "video/mp4", "mp4"),
        (b"#!AMR\n\x3c\x48\xf5", "audio/amr", "amr"),
        (b"\x02#!SILK_V3\x0c\x00", "audio/silk", "silk"),
        (b"RIFF\x24\0\0\0WAVEfmt ", "audio/wav", "wav"),
        (b"OggS\0\x02" + b"\0" * 20, "audio/ogg", "ogg"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska", "mkv"),
        (ooxml(WORD_MAIN), WORD_MAIN.removesuffix(".main+xml"), "docx"),
        (ooxml(SHEET_MAIN), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "xlsx"),
        (ooxml(SLIDES_MAIN), SLIDES_MAIN.removesuffix(".main+xml"), "pptx"),
        (OLE + "WordDocument".encode("utf-16-le"), "application/msword", "doc"),
        (OLE + "Workbook".encode("utf-16-le"), "application/vnd.ms-excel", "xls"),
    ],
)
def test_known_types_are_recognised_by_content(data: bytes, mime: str, ext: str) -> None:
    found_mime, found_ext = sniff(data)
    assert (found_mime, found_ext) == (mime, ext)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"#!/bin/sh\nrm -rf /\n",
        b"\x7fELF\x02\x01\x01" + b"\0" * 40,
        b"MZ\x90\0\x03" + b"\0" * 40,
    ],
)
def test_disguised_active_content_is_refused(data: bytes) -> None:
    # Whatever name it came with (evil.jpg), only the content counts.
    with pytest.raises(UnsupportedFile) as err:
        sniff(data)
    assert err.value.code == "dangerous_type"
    assert "安全" in str(err.value)


@pytest.mark.parametrize(
    "data",
    [
        b"just some text",
        b"PK\x03\x04 not really a zip",
        ooxml("application/zip-something-else"),
        OLE + b"nothing we know",
        b"\0\0\0\x20ftypXXXX",
    ],
)
def test_unknown_content_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedFile) as err:
        sniff(data)
    assert err.value.code == "unknown_type"


def test_macro_documents_are_refused() -> None:
    with pytest.raises(UnsupportedFile) as err:
        sniff(ooxml(WORD_MAIN, {"word/vbaProject.bin": b"\0"}))
    assert err.value.code == "macro_document"
    with pytest.raises(UnsupportedFile):
        sniff(OLE + "WordDocument".encode("utf-16-le") + "Macros".encode("utf-16-le"))


def test_empty_is_refused() -> None:
    with pytest.raises(UnsupportedFile) as err:
        sniff(b"")
    assert err.value.code == "empty"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\借条.jpg", "借条.jpg"),
        ("合同\u202egpj.exe", "合同gpj.exe"),
        ("  a\x00b\n.png ", "ab.png"),
        ("", "未命名文件"),
        ("...", "未命名文件"),
    ],
)
def test_display_name_is_cleaned(raw: str, shown: str) -> None:
    assert safe_display_name(raw) == shown


def test_long_display_name_keeps_extension() -> None:
    shown = safe_display_name("长" * 300 + ".jpeg")
    assert len(shown) <= 100
    assert shown.endswith(".jpeg")
