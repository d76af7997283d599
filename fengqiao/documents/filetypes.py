"""Decide a file's type from its bytes, never from its name.

An uploaded name is only ever shown to people (``safe_display_name``); storage keys and
served Content-Types come from ``sniff``. Anything we cannot positively identify is refused,
so an HTML page, a script or an executable renamed to ``.jpg`` never gets through.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from fengqiao.documents.texts import UPLOAD


class UnsupportedFile(ValueError):
    """The bytes are not one of the accepted kinds; ``code`` is a key of ``texts.UPLOAD``."""

    def __init__(self, code: str) -> None:
        super().__init__(UPLOAD[code])
        self.code = code


@dataclass(frozen=True)
class FileType:
    mime: str
    ext: str
    kind: str  # image, pdf, audio, video, office

    def __iter__(self) -> Iterator[str]:  # lets callers write ``mime, ext = sniff(data)``
        return iter((self.mime, self.ext))


_ISO_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_ISO_AUDIO_BRANDS = {b"M4A ", b"M4B "}
_ISO_VIDEO_BRANDS = {
    b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
    b"dash", b"3gp4", b"3gp5", b"3gp6", b"MSNV",
}
_OOXML_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}
OFFICE_TYPES = tuple(mime for mime, _ in _OOXML_PARTS.values())
# Openings of things that must never be accepted whatever they are called; they get a clearer
# message than "unknown type".
_DANGEROUS_OPENINGS = (b"\x7fELF", b"MZ", b"#!", b"<", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_TEXT_MARKERS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<?php", b"<body")


def sniff(data: bytes) -> FileType:
    """Return the type of ``data``; raise ``UnsupportedFile`` for anything not accepted."""
    if not data:
        raise UnsupportedFile("empty")
    head = data[:64]
    found = _sniff_media(head) or _sniff_container(data, head)
    if found is not None:
        return found
    stripped = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    looks_textual = b"\0" not in stripped
    if stripped.startswith(_DANGEROUS_OPENINGS) or (
        looks_textual and any(m in stripped.lower() for m in _TEXT_MARKERS)
    ):
        raise UnsupportedFile("dangerous_type")
    raise UnsupportedFile("unknown_type")


def _sniff_media(head: bytes) -> FileType | None:
    if head.startswith(b"\xff\xd8\xff"):
        return FileType("image/jpeg", "jpg", "image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType("image/png", "png", "image")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FileType("image/gif", "gif", "image")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return FileType("image/webp", "webp", "image")
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return FileType("audio/wav", "wav", "audio")
    if head.startswith(b"%PDF-"):
        return FileType("application/pdf", "pdf", "pdf")
    if head.startswith((b"#!AMR\n", b"#!AMR-WB\n")):
        return FileType("audio/amr", "amr", "audio")
    # WeChat voice messages are SILK v3, sometimes behind a 0x02 byte.
    if head.startswith((b"#!SILK_V3", b"\x02#!SILK_V3")):
        return FileType("audio/silk", "silk", "audio")
    if head.startswith(b"OggS"):
        return FileType("audio/ogg", "ogg", "audio")
    if head.startswith(b"ID3"):
        return FileType("audio/mpeg", "mp3", "audio")
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer = (head[1] >> 1) & 0x03
        if layer == 0b01:  # MPEG layer III
            return FileType("audio/mpeg", "mp3", "audio")
        if layer == 0b00 and head[1] & 0xF6 == 0xF0:  # ADTS AAC
            return FileType("audio/aac", "aac", "audio")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _ISO_IMAGE_BRANDS:
            return FileType("image/heic", "heic", "image")
        if brand in _ISO_AUDIO_BRANDS:
            return FileType("audio/mp4", "m4a", "audio")
        if brand == b"qt  ":
            return FileType("video/quicktime", "mov", "video")
        if brand in _ISO_VIDEO_BRANDS:
            return FileType("video/mp4", "mp4", "video")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head:
            return FileType("video/webm", "webm", "video")
        if b"matroska" in head:
            return FileType("video/x-matroska", "mkv", "video")
    return None


def _sniff_container(data: bytes, head: bytes) -> FileType | None:
    if head.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(data)
    return None


def _sniff_ooxml(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size > 1_000_000:  # a real one is a few KB; refuse zip bombs
                return None
            types = zf.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, EOFError):
        return None
    if any(n.lower().endswith("vbaproject.bin") for n in names) or "macroEnabled" in types:
        raise UnsupportedFile("macro_document")
    for part, (mime, ext) in _OOXML_PARTS.items():
        if f'ContentType="{part}"' in types:
            return FileType(mime, ext, "office")
    return None


def _sniff_ole(data: bytes) -> FileType | None:
    # The compound file's directory holds stream names in UTF-16LE; the main stream tells
    # Word from Excel. Macros live in a "Macros"/"_VBA_PROJECT" storage.
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("_VBA_PROJECT") or has("Macros"):
        raise UnsupportedFile("macro_document")
    if has("WordDocument"):
        return FileType("application/msword", "doc", "office")
    if has("Workbook") or has("Book"):
        return FileType("application/vnd.ms-excel", "xls", "office")
    return None


_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_MAX_DISPLAY = 100


def safe_display_name(name: str | None) -> str:
    """The uploaded name, cleaned for display only (never a path, never a storage key).

    Drops directory parts, control and bidi-override characters (``U+202E`` can make
    ``exe.jpg`` read as ``gpj.exe``) and shortens long names while keeping the extension.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        " " if unicodedata.category(ch) in {"Zs"} else ch
        for ch in text
        if unicodedata.category(ch) not in _FORBIDDEN_CATEGORIES
    )
    text = " ".join(text.split()).strip(" .")
    if not text:
        return UPLOAD["unnamed"]
    if len(text) > _MAX_DISPLAY:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: _MAX_DISPLAY - len(ext) - 2] + "…." + ext
        else:
            text = text[: _MAX_DISPLAY - 1] + "…"
    return text
