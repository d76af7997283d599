"""A party's thread with the mediator (documents/messages.py): the resident from the
mini-program (session or web-view), a party by its case link, staff from the console's case
page (static/case_messages.js). Text as JSON; an image as an upload of its own."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fengqiao import keys
from fengqiao.web.api import me_models as m
from fengqiao.web.api.documents import viewer
from fengqiao.web.kit import limits
from fengqiao.web.kit.door import Call, Routes, by_case
from fengqiao.web.kit.uploads import read_upload
from fengqiao.web.params import row_id

P = "/api/v1/cases/{code}/messages"
IMAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "party_id": {"type": "string", "title": "工作人员回复的当事人"},
    },
}
routes = Routes()


def service(call: Call[Any, Any]) -> Any:
    return call.app[keys.DOCUMENTS].messages


@routes.get(
    P,
    "case.messages",
    case=by_case(),
    response=m.Thread,
    summary="Messages with the mediator: a party's own thread; staff see every party's",
)
async def thread(call: Call[Any, Any]) -> m.Thread:
    return m.Thread(**await service(call).thread(call.path("code"), await viewer(call)))


@routes.post(
    P,
    "case.messages",
    case=by_case(),
    body=m.NewMessage,
    response=m.Message,
    errors=(422, 429),
    summary="Write a message (a party to the mediator; staff to the party named by party_id)",
)
async def write(call: Call[m.NewMessage, Any]) -> m.Message:
    await limits.limit_party_writes(call.request)
    found = await service(call).post(
        call.path("code"), await viewer(call), call.body.text, party_id=call.body.party_id
    )
    return m.Message(**found)


@routes.post(
    P + "/image",
    "case.messages",
    case=by_case(),
    body_media_type="multipart/form-data",
    body_schema=IMAGE_SCHEMA,
    response=m.Message,
    errors=(413, 415, 422, 429),
    summary="Send an image (multipart `file`; staff add `party_id`)",
)
async def write_image(call: Call[Any, Any]) -> m.Message:
    svc = service(call)
    await limits.limit_party_writes(call.request)
    cap = limits.upload_limit(call.request, svc.max_bytes, limits.PARTY_IMAGE_MAX)
    data, name, fields = await read_upload(call.request, cap)
    assert call.case is not None
    await limits.check_case_quota(call.request, call.case.id, len(data))
    to = fields.get("party_id", "")
    found = await svc.post(
        call.path("code"), await viewer(call), "", party_id=row_id(to) if to.isascii() else None,
        image=data, image_name=name,
    )
    return m.Message(**found)


@routes.get(
    P + "/{id:\\d+}/image",
    "case.messages",
    case=by_case(),
    media_type="image/jpeg",
    summary="The image of a message (JPEG or PNG; a party gets it without EXIF/GPS, "
    "staff the original)",
)
async def image(call: Call[Any, Any]) -> web.Response:
    data, mime = await service(call).image(call.path("code"), call.path_id(), await viewer(call))
    return web.Response(
        body=data,
        content_type=mime,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )
