"""HTTP Range (RFC 9110 §14) for bodies already in memory, so a video player can seek.

One range per request, as players ask; anything else gets the whole body (200)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web


def ranged_response(
    request: web.Request, body: bytes, content_type: str, headers: Mapping[str, str]
) -> web.Response:
    """200 with the whole body, 206 with the asked part, or 416 if the range lies outside."""
    size = len(body)
    common = {**headers, "Accept-Ranges": "bytes"}
    try:
        wanted = request.http_range
    except ValueError:  # a malformed or multi-part Range: ignore it, as RFC 9110 allows
        wanted = slice(None, None)
    if wanted.start is None and wanted.stop is None:
        return web.Response(body=body, content_type=content_type, headers=common)
    start, stop, _ = wanted.indices(size)
    if start >= size or stop <= start:
        return web.Response(status=416, headers={**common, "Content-Range": f"bytes */{size}"})
    return web.Response(
        status=206,
        body=body[start:stop],
        content_type=content_type,
        headers={**common, "Content-Range": f"bytes {start}-{stop - 1}/{size}"},
    )
