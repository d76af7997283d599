"""Request bodies and query strings are parsed by declared pydantic models, so malformed input
is always a 400 naming the field, and the same declarations describe the API (openapi.py).

Why pydantic (v2) rather than msgspec: its JSON Schema output is what OpenAPI 3.1 expects, with
constraints (lengths, ranges, enums) and Chinese field titles carried over; msgspec is faster,
but no request here is hot enough for the difference to matter (the WeChat callback, the only
hot path, is XML and parsed by the bot).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ConfigDict, ValidationError

from fengqiao import errors
from fengqiao.typed_text import NUL_TEXT, has_nul

M = TypeVar("M", bound=BaseModel)

BAD_JSON = "请求格式不正确，请发送 JSON 对象"
BAD_FORM = "请求格式不正确，表单内容无法读取"
TOO_LARGE = "请求内容过大"
DEFAULT_LIMIT = 256 * 1024


class Body(BaseModel):
    """Base of every request model: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Query(BaseModel):
    """Base of every query model: unknown parameters are ignored (links carry ``t``)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Empty(Body):
    pass


def _field_error(exc: ValidationError, where: str) -> errors.BadRequest:
    # One problem per field: a union (an answer that may be a bool, a number or words) fails
    # once per choice, under the choice's type name, which is pydantic's, not the client's.
    found: dict[str, list[str]] = {}
    for e in exc.errors():
        found.setdefault(_field_name(e.get("loc", ())) or where, []).append(_chinese(e))
    problems = [
        {"field": field, "problem": _one(kinds)} for field, kinds in list(found.items())[:20]
    ]
    first = problems[0]
    message = f"字段 {first['field']} 不正确：{first['problem']}"
    return errors.BadRequest("invalid_field", message, problems=problems)


WRONG_TYPE = "类型不正确"
# What pydantic puts in an error's location for a choice of a union: "bool", "int",
# "constrained-int", "function-after[...]", "list[int]", a model's class name. Field names
# here are lower-case words with underscores (or an alias such as "from").
_TYPE_TAG = re.compile(
    r"^(?:bool|int|float|str|bytes|none|dict|list|decimal|date|datetime)$|[-\[]|^[A-Z]"
)


def _one(kinds: list[str]) -> str:
    """A field's problem; for a union, what the value broke if it had the right type (太大)."""
    if len(kinds) == 1:
        return kinds[0]
    broken = [k for k in kinds if not k.startswith("应为") and k != "格式不正确"]
    return broken[0] if broken else WRONG_TYPE


def _field_name(loc: Any) -> str:
    """The field as the client named it: ``parties.0.role``, never ``value.constrained-int``."""
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and _TYPE_TAG.search(p)))


_KINDS = {
    "missing": "必填",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "float_type": "应为数字",
    "int_from_float": "应为整数",
    "extra_forbidden": "不认识这个字段",
    "string_too_long": "太长",
    "string_too_short": "太短",
    "too_long": "太多",
    "less_than_equal": "太大",
    "greater_than_equal": "太小",
    "less_than": "太大",
    "greater_than": "太小",
    "literal_error": "不是可选的值",
    "enum": "不是可选的值",
    "datetime_from_date_parsing": "应为日期时间",
    "datetime_parsing": "应为日期时间",
    "date_from_datetime_parsing": "应为日期",
    "date_parsing": "应为日期",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "value_error": "不正确",
}


def _chinese(error: Any) -> str:
    kind = str(error.get("type", ""))
    if kind == "value_error":
        ctx = error.get("ctx") or {}
        found = ctx.get("error")
        return str(found) if found else "不正确"
    return _KINDS.get(kind, "格式不正确")


def parse_query(request: web.Request, model: type[M]) -> M:
    raw: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        raw[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _field_error(exc, "query") from None


async def parse_body(request: web.Request, model: type[M], limit: int = DEFAULT_LIMIT) -> M:
    if request.content_length is not None and request.content_length > limit:
        raise errors.TooLarge("payload_too_large", TOO_LARGE)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.post()
        except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError):
            # No boundary, a broken part header or body: the client's mistake, not ours.
            raise errors.BadRequest("bad_form", BAD_FORM) from None
        raw: Any = {}
        for key in set(form.keys()) - {"csrf"}:
            values = [v for v in form.getall(key) if isinstance(v, str)]
            if values:
                raw[key] = values if len(values) > 1 else values[0]
    else:
        # read(n) returns what has arrived so far, not n bytes: a body that comes in several
        # TCP segments (a drawn signature) was cut short and refused as bad JSON.
        data = b""
        while len(data) <= limit:
            chunk = await request.content.read(limit + 1 - len(data))
            if not chunk:
                break
            data += chunk
        if len(data) > limit:
            raise errors.TooLarge("payload_too_large", TOO_LARGE)
        if not data.strip():
            data = b"{}"
        try:
            # Lone surrogates ("\ud800", what JavaScript leaves when it cuts an emoji in half)
            # are valid JSON escapes but not text: refuse them here, not deep in a driver.
            raw = json.loads(data.decode("utf-8"))
            json.dumps(raw, ensure_ascii=False).encode("utf-8")
        except (ValueError, UnicodeError):
            raise errors.BadRequest("bad_json", BAD_JSON) from None
        if not isinstance(raw, dict):
            raise errors.BadRequest("bad_json", BAD_JSON)
    if has_nul(raw):
        # valid JSON and valid in a form, but PostgreSQL cannot store it in text: a 400 here,
        # not a 500 deep in the driver (paths and queries: door.admit)
        raise errors.BadRequest("invalid_field", NUL_TEXT)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _field_error(exc, "body") from None
