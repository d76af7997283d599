"""JSON errors for the API: `{"error": {"code", "message"}}` with a 4xx/5xx status, no traces."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import exc as sa_exc

from fengqiao.storage.files import FileStoreError
from fengqiao.storage.kv import StoreUnavailable

log = logging.getLogger("fengqiao.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(web.HTTPException):
    """Raise from a handler: becomes a JSON error with the given status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status_code = status
        super().__init__(
            text=json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False),
            content_type="application/json",
        )


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}},
        status=status,
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}


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


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError:
        raise
    except web.HTTPException as exc:
        if not _is_api(request) or exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "http_error")
        return json_error(exc.status, code, exc.reason or code)
    except FileStoreError as exc:
        # Disk full or unwritable: the atomic write left nothing behind and nothing was recorded.
        log.error("file store refused a write: %s", exc, extra={"path": request.path})
        return json_error(507, "storage_full", "存储空间不足，文件没有保存，请稍后再试或联系中心")
    except StoreUnavailable:
        log.warning("key-value store unavailable", extra={"path": request.path})
        return json_error(503, "store_unavailable", "服务暂时繁忙，请稍后再试")
    except (ConnectionError, OSError, TimeoutError) as exc:
        log.warning("dependency unavailable: %s", type(exc).__name__, extra={"path": request.path})
        return json_error(503, "unavailable", "服务暂时繁忙，请稍后再试")
    except sa_exc.SQLAlchemyError as exc:
        if not database_down(exc):
            log.exception("unhandled database error", extra={"path": request.path})
            return json_error(500, "internal", "服务器内部错误，请稍后再试")
        log.warning("database unavailable: %s", type(exc).__name__, extra={"path": request.path})
        return json_error(503, "database_unavailable", "服务暂时繁忙，请稍后再试")
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        return json_error(500, "internal", "服务器内部错误，请稍后再试")
