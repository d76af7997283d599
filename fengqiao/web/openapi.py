"""OpenAPI document built from the handlers themselves, so the spec cannot drift from the routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

import fengqiao

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def documented(
    summary: str,
    *,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    errors: tuple[int, ...] = (400,),
    parameters: list[dict[str, Any]] | None = None,
    security: bool = False,
    content_type: str = "application/json",
) -> Callable[[Any], Any]:
    def wrap(handler: Any) -> Any:
        op: dict[str, Any] = {"summary": summary, "responses": {}}
        if parameters:
            op["parameters"] = parameters
        if request is not None:
            op["requestBody"] = {"required": True, "content": {content_type: {"schema": request}}}
        op["responses"]["200"] = {
            "description": "OK",
            "content": {"application/json": {"schema": response or {"type": "object"}}},
        }
        for status in errors:
            op["responses"][str(status)] = {
                "description": "error",
                "content": {"application/json": {"schema": ERROR_SCHEMA}},
            }
        if security:
            op["security"] = [{"bearer": []}]
        handler.__openapi__ = op
        return handler

    return wrap


def build_spec(app: web.Application) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        op = getattr(route.handler, "__openapi__", None)
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if op is None or not path or route.method == "HEAD":
            continue
        paths.setdefault(path, {})[route.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Fengqiao API", "version": fengqiao.__version__},
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
