"""Every route registered on the application states the permission it needs (or that it is
public): a route added without one fails here, and the door refuses it in service."""

from __future__ import annotations

from aiohttp.web_urldispatcher import StaticResource

from fengqiao import policy
from fengqiao.app import create_app
from fengqiao.web.kit.door import Endpoint
from tests.conftest import make_settings


def test_every_route_declares_a_known_permission(tmp_path):
    app = create_app(make_settings(tmp_path))
    undeclared, seen = [], 0
    for route in app.router.routes():
        if isinstance(route.resource, StaticResource):
            continue  # files under /static/: public by nature, no handler of ours
        seen += 1
        spec = getattr(route.handler, "__endpoint__", None)
        info = route.resource.get_info() if route.resource else {}
        name = f"{route.method} {info.get('path') or info.get('formatter')}"
        if not isinstance(spec, Endpoint):
            undeclared.append(name)
        else:
            assert spec.permission in policy.PERMISSIONS, name
    assert seen > 60
    assert not undeclared, f"routes without a declared permission: {undeclared}"


def test_public_routes_are_the_few_meant_to_be(tmp_path):
    app = create_app(make_settings(tmp_path))
    public = set()
    for route in app.router.routes():
        spec = getattr(route.handler, "__endpoint__", None)
        if spec is not None and spec.permission == "public" and route.method != "HEAD":
            info = route.resource.get_info() if route.resource else {}
            public.add(f"{route.method} {info.get('path') or info.get('formatter')}")
    assert public == {
        "GET /healthz",
        "GET /api/v1/openapi.json",
        "GET /api/v1/cases/{code}/progress",
        "GET /h5/progress",
        "GET /h5/verify",
        "POST /api/v1/verify",
        "GET /api/v1/verify/{doc}",
        "GET /console/login",
        "POST /console/login",
        "GET /wechat/mp",
        "POST /wechat/mp",
        "POST /api/v1/auth/wxa-login",
        "GET /api/v1/booking/feeds/{token}.ics",
        "GET /api/v1/trust/root-ca.pem",
        "GET /api/v1/trust/issuing-ca.crl",
        "GET /api/v1/trust/root-ca.crl",
    }
