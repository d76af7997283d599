"""The one place refusals and failures become answers.

Domain errors (fengqiao.errors) map to one status each. Under ``/api/`` (and ``/healthz``)
every answer is JSON ``{"error": {"code", "message"}}``; console and resident pages get a
Chinese error page instead, and a console page that needs a sign-in redirects to it. Nothing
below answers with a stack trace, an English framework text or a version.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import exc as sa_exc

from fengqiao import errors, keys
from fengqiao.storage.files import FileStoreError
from fengqiao.storage.kv import StoreUnavailable
from fengqiao.web.kit.replies import error_body, reply

log = logging.getLogger("fengqiao.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.BadRequest, 400),
    (errors.Invalid, 422),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.TooLarge, 413),
    (errors.Unsupported, 415),
    (errors.TooMany, 429),
    (errors.Unavailable, 503),
]

# The heading of an error page: by the refusal's code where the status alone would mislead (a
# room not open yet is not a missing page, an expired link not one that never worked), else by
# status.
PAGE_HEADINGS = {
    "too_early": "调解室尚未开放",
    "room_closed": "调解室尚未开放",
    "expired": "链接已过期",
    "bad_token": "链接无效",
    "wrong_purpose": "链接不能打开这个页面",
}
STATUS_HEADINGS = {404: "找不到这个页面", 401: "无法打开", 403: "无法打开", 429: "请稍后再试"}


def page_heading(status: int, code: str = "") -> str:
    if code in PAGE_HEADINGS:
        return PAGE_HEADINGS[code]
    if status >= 500:
        return "服务暂时出错"
    return STATUS_HEADINGS.get(status, "请求有误")


RESIDENT_NO_LINK = "链接不完整或已过期，请从公众号、小程序或短信里的链接重新打开。"

# Framework answers (no route, wrong method, body too large …) in Chinese.
HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限进行此操作"),
    404: ("not_found", "您要找的页面或记录不存在"),
    405: ("method_not_allowed", "不支持这种请求方式"),
    413: ("payload_too_large", "请求内容过大"),
    414: ("uri_too_long", "链接太长，请使用中心发给您的链接"),
    415: ("unsupported_media_type", "不支持这种内容格式"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("internal", "服务器内部错误，请稍后再试"),
    503: ("unavailable", "服务暂时繁忙，请稍后再试"),
    507: ("storage_full", "存储空间不足，文件没有保存，请稍后再试或联系中心"),
}


def status_of(exc: errors.DomainError) -> int:
    return next((status for cls, status in STATUS if isinstance(exc, cls)), 400)


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def database_down(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached (restart, network, full pool),
    as opposed to a bug in a query: the first is a 503 the client retries, the second a 500."""
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


def refusal(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **more: Any,
) -> web.StreamResponse:
    """The answer for a refusal: JSON under /api/, a Chinese page elsewhere."""
    if (
        is_api(request)
        or request.path.startswith("/wechat/")
        or _wants_json(request)
        or _api_style(request)
    ):
        return reply(error_body(code, message, **more), status=status, headers=headers)
    if status == 401 and request.path.startswith("/console/"):
        target = quote(request.path_qs, safe="/")
        return web.Response(status=303, headers={"Location": f"/console/login?next={target}"})
    return error_page(request, status, message, headers=headers, code=code)


def _api_style(request: web.Request) -> bool:
    """A route outside /api/ declared as no page (the room's evidence upload under /h5/):
    answered as the API answers, unless a browser tab opened it (Accept: text/html)."""
    route = getattr(request.match_info, "route", None)
    spec = getattr(getattr(route, "handler", None), "__endpoint__", None)
    if spec is None or getattr(spec, "page", True):
        return False
    return "text/html" not in request.headers.get("Accept", "")


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_page(
    request: web.Request,
    status: int,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    code: str = "",
) -> web.Response:
    from fengqiao.web.kit.pages import render

    console = request.path.startswith(("/console", "/dashboard"))
    if status == 401 and not console and message == HTTP_MESSAGES[401][1]:
        # A resident has nothing to sign in to: their page opens from a link with its token.
        message = RESIDENT_NO_LINK
    response = render(
        request,
        "error.html.j2",
        {"status": status, "message": message, "console": console,
         "heading": page_heading(status, code)},
        status=status,
    )
    response.headers.update(headers or {})
    return response


def answer(request: web.Request, exc: BaseException) -> web.StreamResponse:
    """What to answer for ``exc`` raised while handling ``request``."""
    if isinstance(exc, errors.DomainError):
        status = status_of(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.TooMany) else {}
        more = {"problems": exc.problems} if exc.problems else {}
        if status >= 500:
            log.warning("dependency unavailable: %s", exc.code, extra={"path": request.path})
        return refusal(request, status, exc.code, exc.message, headers=headers, **more)
    if isinstance(exc, FileStoreError):
        # Disk full or unwritable: the atomic write left nothing behind and nothing was recorded.
        log.error("file store refused a write: %s", exc, extra={"path": request.path})
        return refusal(request, 507, *HTTP_MESSAGES[507])
    if isinstance(exc, StoreUnavailable):
        log.warning("key-value store unavailable", extra={"path": request.path})
        return refusal(request, 503, "store_unavailable", HTTP_MESSAGES[503][1])
    if isinstance(exc, sa_exc.SQLAlchemyError) and database_down(exc):
        log.warning("database unavailable: %s", type(exc).__name__, extra={"path": request.path})
        return refusal(request, 503, "database_unavailable", HTTP_MESSAGES[503][1])
    if isinstance(exc, ConnectionError | TimeoutError) or (
        isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)
    ):
        log.warning("dependency unavailable: %s", type(exc).__name__, extra={"path": request.path})
        return refusal(request, 503, *HTTP_MESSAGES[503])
    log.exception("unhandled error", exc_info=exc, extra={"path": request.path})
    return refusal(request, 500, *HTTP_MESSAGES[500])


def http_answer(request: web.Request, exc: web.HTTPException) -> web.StreamResponse | None:
    """A framework HTTP error as our answer; None for what passes through as it is
    (redirects, and errors a handler already gave a JSON body)."""
    if exc.status < 400 or exc.content_type == "application/json":
        return None
    code, message = HTTP_MESSAGES.get(exc.status, ("http_error", HTTP_MESSAGES[400][1]))
    headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
    return refusal(request, exc.status, code, message, headers=headers)


def templates_ready(request: web.Request) -> bool:
    return keys.TEMPLATES in request.app
