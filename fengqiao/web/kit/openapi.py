"""The OpenAPI description, built from the routes' own declarations (door.Endpoint): the
permission says which credential an operation takes, the models give the request and
response schemas, so the description cannot drift from what the door enforces."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel

import fengqiao
from fengqiao import policy
from fengqiao.web.kit.door import Endpoint

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "problems": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}
SECURITY_SCHEMES = {
    "console": {"type": "apiKey", "in": "cookie", "name": "fq_session",
                "description": "控制台登录会话；写操作另需 X-CSRF-Token 请求头"},
    "partyLink": {"type": "apiKey", "in": "query", "name": "t",
                  "description": "发给当事人的链接中的令牌（限定用途、案件和当事人）"},
    "miniProgram": {"type": "http", "scheme": "bearer",
                    "description": "小程序登录 /api/v1/auth/wxa-login 得到的会话令牌"},
}  # fmt: skip


class Spec:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}

    def schema(self, model: Any) -> dict[str, Any]:
        if model is None:
            return {"type": "object", "additionalProperties": True}
        if isinstance(model, dict):
            return model
        if isinstance(model, type) and issubclass(model, BaseModel):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in found.pop("$defs", {}).items():
                self.schemas[name] = definition
            self.schemas[model.__name__] = found
            return {"$ref": f"#/components/schemas/{model.__name__}"}
        raise TypeError(f"not a schema: {model!r}")

    def operation(self, path: str, method: str, spec: Endpoint) -> dict[str, Any]:
        op: dict[str, Any] = {
            "summary": spec.summary or path,
            "x-permission": spec.permission,
            "responses": {},
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_params(path)
        ]
        if spec.query is not None:
            props = spec.query.model_json_schema().get("properties", {})
            required = set(spec.query.model_json_schema().get("required", []))
            params += [
                {"name": name, "in": "query", "required": name in required, "schema": schema}
                for name, schema in props.items()
            ]
        if params:
            op["parameters"] = params
        if spec.body_schema is not None:
            op["requestBody"] = {
                "required": True,
                "content": {spec.body_media_type: {"schema": spec.body_schema}},
            }
        elif spec.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {spec.body_media_type: {"schema": self.schema(spec.body)}},
            }
        if spec.media_type == "application/json":
            content = {"application/json": {"schema": self.schema(spec.response)}}
        elif spec.media_type.startswith("text/"):
            content = {spec.media_type: {"schema": {"type": "string"}}}
        else:
            content = {spec.media_type: {"schema": {"type": "string", "format": "binary"}}}
        op["responses"]["200"] = {"description": "OK", "content": content}
        for status in sorted({*spec.errors, *_implied_errors(spec)}):
            op["responses"][str(status)] = {
                "description": "error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        security = credentials(spec.permission)
        op["security"] = [{name: []} for name in security] if security else []
        return op


def credentials(permission: str) -> list[str]:
    """Which credentials can hold ``permission``."""
    if permission == "public":
        return []
    found = []
    if any(permission in perms for perms in policy.ROLE_PERMISSIONS.values()):
        found.append("console")
    if any(permission in perms for perms in policy.PARTY_PURPOSES.values()):
        found.append("partyLink")
    if permission in policy.RESIDENT_PERMISSIONS or permission == "resident":
        found.append("miniProgram")
    return found


def _implied_errors(spec: Endpoint) -> set[int]:
    found = {400} if spec.body is not None or spec.query is not None else set()
    if spec.permission != "public":
        found |= {401, 403}
    if spec.case is not None:
        found.add(404)
    return found


def _path_params(path: str) -> list[str]:
    names = []
    for part in path.split("{")[1:]:
        names.append(part.split("}")[0].split(":")[0])
    return names


def build_spec(app: web.Application) -> dict[str, Any]:
    spec = Spec()
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        endpoint = getattr(route.handler, "__endpoint__", None)
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if endpoint is None or not path or route.method == "HEAD":
            continue
        if not path.startswith(("/api/", "/healthz", "/wechat/")):
            continue  # pages are for people, not for API clients
        clean = re.sub(r"\{(\w+):[^/]*\}", r"{\1}", path)
        paths.setdefault(clean, {})[route.method.lower()] = spec.operation(
            path, route.method, endpoint
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "枫桥 Fengqiao API", "version": fengqiao.__version__},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": spec.schemas, "securitySchemes": SECURITY_SCHEMES},
    }
