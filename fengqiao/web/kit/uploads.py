"""Reading an uploaded file (multipart field ``file``, or the raw body) within a limit, in
chunks, so an oversized upload is refused at the limit rather than after buffering it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from fengqiao import errors

TOO_LARGE = "文件过大，单个文件不能超过 {limit_mb} MB。"
BAD_FORM = "上传的内容格式不正确，请重新选择文件上传。"

# OpenAPI bodies of the uploads: each documents only the fields its route reads.
FILE_SCHEMA = {
    "type": "object",
    "properties": {"file": {"type": "string", "format": "binary"}},
    "required": ["file"],
}
UPLOAD_SCHEMA = {  # evidence: the file and who may see it
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "visibility": {"type": "string", "enum": ["parties", "mediator"]},
    },
    "required": ["file"],
}


async def read_upload(request: web.Request, limit: int) -> tuple[bytes, str | None, dict[str, str]]:
    """(data, file name as uploaded, the form's other short fields)."""
    too_large = errors.TooLarge(
        "too_large", TOO_LARGE.format(limit_mb=max(1, limit // (1024 * 1024)))
    )
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise too_large
    if request.content_type.startswith("multipart/"):
        try:
            return await _read_multipart(request, limit, too_large)
        except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError):
            # No boundary, a broken part header or body: the client's mistake, not ours.
            raise errors.BadRequest("bad_form", BAD_FORM) from None
    data = await _read_limited(request.content.read, limit, too_large)
    name = request.headers.get("X-File-Name")
    return data, unquote(name) if name else None, {}


async def _read_multipart(
    request: web.Request, limit: int, too_large: errors.TooLarge
) -> tuple[bytes, str | None, dict[str, str]]:
    fields: dict[str, str] = {}
    reader = await request.multipart()
    data, name = b"", None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            # Some clients percent-encode non-ASCII names; the name is for display only.
            name = unquote(part.filename) if part.filename else None
            data = await _read_limited(part.read_chunk, limit, too_large)
        elif part.name:
            fields[part.name] = (await part.text())[:64]
    return data, name, fields


async def _read_limited(
    read: Callable[[int], Awaitable[bytes]], limit: int, too_large: errors.TooLarge
) -> bytes:
    buf = bytearray()
    while chunk := await read(64 * 1024):
        buf += chunk
        if len(buf) > limit:
            raise too_large
    return bytes(buf)
