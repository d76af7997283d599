"""The OpenAPI description, built from the routes' own declarations (door.Endpoint): the
permission says which credential an operation takes, the models give the request and
response schemas, so the description cannot drift from what the door enforces."""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel

import fengqiao
from fengqiao import policy
from fengqiao.web.kit.door import Endpoint

# {"field", "problem"} for a request's fields, {"where", "message"} for a document's.
PROBLEM = {"type": "object", "additionalProperties": {"type": "string"}}
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
                "problems": {"type": "array", "items": PROBLEM},
            },
        }
    },
}
SECURITY_SCHEMES = {
    "console": {"type": "apiKey", "in": "cookie", "name": "fq_session",
                "description": "控制台登录会话；写操作另需 X-CSRF-Token 请求头"},
    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
             "description": "控制台会话的 CSRF 令牌：控制台的写操作与会话 Cookie 一起提交"},
    "partyLink": {"type": "apiKey", "in": "query", "name": "t",
                  "description": "发给当事人的链接中的令牌（限定用途、案件和当事人）"},
    "partyLinkHeader": {"type": "apiKey", "in": "header", "name": "X-Access-Token",
                        "description": "同一当事人链接令牌，放在请求头中"},
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
        if get_origin(model) is list:  # list[SomeModel]
            return {"type": "array", "items": self.schema(get_args(model)[0])}
        if isinstance(model, type) and issubclass(model, BaseModel):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in found.pop("$defs", {}).items():
                self._add(name, definition)
            self._add(model.__name__, found)
            return {"$ref": f"#/components/schemas/{model.__name__}"}
        raise TypeError(f"not a schema: {model!r}")

    def _add(self, name: str, definition: dict[str, Any]) -> None:
        # Two models of one name in different modules would silently describe one of them.
        if self.schemas.get(name, definition) != definition:
            raise ValueError(f"two different models are named {name} in the API description")
        self.schemas[name] = definition

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
        types = (spec.media_type,) if isinstance(spec.media_type, str) else spec.media_type
        content = {}
        for media_type in types:
            if media_type == "application/json":
                content[media_type] = {"schema": self.schema(spec.response)}
            elif media_type.startswith("text/"):
                content[media_type] = {"schema": {"type": "string"}}
            else:
                content[media_type] = {"schema": {"type": "string", "format": "binary"}}
        op["responses"]["200"] = {"description": "OK", "content": content}
        for status in sorted({*spec.errors, *_implied_errors(spec)}):
            op["responses"][str(status)] = {
                "description": "error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        op["security"] = requirements(spec, method)
        if spec.token_in_path:  # the link's token is the path itself: no other credential
            op["x-credential"] = f"partyLink (path parameter {spec.token_in_path})"
            for param in op.get("parameters", []):
                if param["name"] == spec.token_in_path:
                    param["description"] = "当事人链接中的令牌（即凭据）"
        return op


def requirements(spec: Endpoint, method: str) -> list[dict[str, list[str]]]:
    """The operation's security: alternatives, each the credentials sent together."""
    if spec.token_in_path:
        return []
    found: list[dict[str, list[str]]] = []
    for name in credentials(spec.permission):
        if spec.case is None and spec.permission != "resident" and name != "console":
            continue  # a party or resident acts only on a case the route names (door.py)
        if name == "console" and method.upper() not in ("GET", "HEAD", "OPTIONS"):
            found.append({"console": [], "csrf": []})
        elif name == "partyLink":
            found += [{"partyLink": []}, {"partyLinkHeader": []}]
        else:
            found.append({name: []})
    return found


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
        if endpoint.page or not path.startswith(("/api/", "/healthz", "/wechat/", "/h5/")):
            continue  # pages are for people, not for API clients (a page's files are not)
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
