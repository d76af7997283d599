"""The one door: every route declares what it needs, and one middleware checks it.

A route is declared with ``Routes``::

    routes = Routes()

    @routes.post("/api/v1/documents/{doc}/seal", "document.seal", case=by_document("doc"),
                 summary="Apply the committee's seal")
    async def seal(call: Call) -> dict[str, Any]:
        return await call.app[keys.DOCUMENTS].agreements.seal(call.path("doc"), call.viewer())

Before the handler runs, the middleware resolves the one requester (requester.py), finds the
case the request is about (``case=``), asks the policy (fengqiao/policy.py) and parses the
declared ``body`` and ``query`` models (models.py). The handler gets a ``Call`` with all of
that, raises domain errors (fengqiao.errors) when it refuses, and returns a dict, a list, a
pydantic model or a response. errors.py turns refusals into JSON or a Chinese page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel

from fengqiao import errors, keys, policy
from fengqiao.cases.case_link import PURPOSE as CASE_LINK
from fengqiao.cases.case_link import REVOKED, generation_of
from fengqiao.policy import CaseScope
from fengqiao.tokens import Claims
from fengqiao.typed_text import NUL_TEXT
from fengqiao.web.kit import requester as req
from fengqiao.web.kit.models import parse_body, parse_query
from fengqiao.web.kit.replies import reply
from fengqiao.web.params import row_id

CaseLookup = Callable[[web.Request], Awaitable[CaseScope | None]]
Handler = Callable[["Call[Any, Any]"], Awaitable[Any]]

B = TypeVar("B", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)

MESSAGES = {
    "login_required": "请先登录",
    "csrf": "页面已过期，请刷新后重试",
    "forbidden": "没有权限进行此操作",
    "other_case": "这个链接不是这个案件的，请使用中心发给您的链接",
    "not_party": "您不是这个案件的当事人",
    "not_found": "记录不存在",
    "wrong_purpose": "这个链接不能用于此操作。",
}


@dataclass(frozen=True)
class Endpoint:
    permission: str
    summary: str = ""
    case: CaseLookup | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None  # a pydantic model, a JSON schema dict, or None for "object"
    # What a 200 answers: JSON, a PDF, a page …, or each type a download may have.
    media_type: str | tuple[str, ...] = "application/json"
    page: bool = False  # an HTML page: refusals render as a Chinese page
    token_in_path: str | None = None  # path parameter holding the party token, if any
    errors: tuple[int, ...] = ()
    body_media_type: str = "application/json"
    body_schema: dict[str, Any] | None = None  # for bodies read by hand (uploads): OpenAPI only
    # The clock a token's validity is checked against (the room's own, which tests can set).
    clock: Callable[[web.Request], float] | None = None
    # The credential comes inside the protocol (a websocket's first message): the handler
    # checks it with the same signer and policy; the door only states the permission.
    in_protocol: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def purposes(self) -> tuple[str, ...]:
        """Token purposes that grant this endpoint's permission."""
        return tuple(p for p, perms in policy.PARTY_PURPOSES.items() if self.permission in perms)


@dataclass
class Call(Generic[B, Q]):
    """One checked request: who asks, about which case, with which parsed input."""

    request: web.Request
    who: req.Requester
    case: CaseScope | None
    body: B
    query: Q
    party_id: int | None = None  # the party acting, for party links and residents

    @property
    def app(self) -> web.Application:
        return self.request.app

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def path_id(self, name: str = "id") -> int:
        found = row_id(self.request.match_info.get(name, ""))
        if found is None:
            raise errors.NotFound("not_found", MESSAGES["not_found"])
        return found

    @property
    def staff(self) -> req.Staff:
        if not isinstance(self.who, req.Staff):
            raise errors.Forbidden("staff_only", "仅限中心工作人员")
        return self.who

    def staff_may(self, permission: str) -> bool:
        """Whether the signed-in staff member holds ``permission`` on this call's case (for
        what a page offers; the route's own permission is checked by the door)."""
        user = self.staff.user
        return policy.staff_may(user.role, permission, self.case,
                                organisation=user.organisation, username=user.username)

    @property
    def unmasked(self) -> bool:
        """Whether the asker sees personal data in full (staff by role; parties their own)."""
        if isinstance(self.who, req.Staff):
            return policy.sees_personal_data(self.who.user.role)
        return isinstance(self.who, req.Party | req.Resident)

    @property
    def client_ip(self) -> str | None:
        return self.request.remote

    @property
    def user_agent(self) -> str | None:
        ua = self.request.headers.get("User-Agent")
        return ua[:255] if ua else None


CALL: web.RequestKey[Call[Any, Any]] = web.RequestKey("call")


def endpoint_of(request: web.Request) -> Endpoint | None:
    handler = request.match_info.route.handler
    return getattr(handler, "__endpoint__", None)


class Routes:
    """A module's routes with their declarations; ``setup(app)`` registers them."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, Any, str | None]] = []

    def route(
        self, method: str, path: str, permission: str, *, name: str | None = None, **kw: Any
    ) -> Callable[[Handler], Handler]:
        if permission not in policy.PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r} for {method} {path}")
        spec = Endpoint(permission, **kw)

        def wrap(fn: Handler) -> Handler:
            async def handler(request: web.Request) -> web.StreamResponse:
                result = await fn(request[CALL])
                if isinstance(result, web.StreamResponse):
                    return result
                return reply(result)

            handler.__endpoint__ = spec  # type: ignore[attr-defined]
            handler.__name__ = fn.__name__
            handler.__doc__ = fn.__doc__
            self.entries.append((method, path, handler, name))
            return fn

        return wrap

    def get(self, path: str, permission: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, permission, **kw)

    def post(self, path: str, permission: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, permission, **kw)

    def put(self, path: str, permission: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, permission, **kw)

    def delete(self, path: str, permission: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, permission, **kw)

    def setup(self, app: web.Application) -> None:
        for method, path, handler, name in self.entries:
            app.router.add_route(method, path, handler, name=name)


# --- finding the case a request is about --------------------------------------------------
def by_case(name: str = "code") -> CaseLookup:
    async def lookup(request: web.Request) -> CaseScope | None:
        return await request.app[keys.SCOPES].by_code(request.match_info[name])

    return lookup


def by_document(name: str = "doc") -> CaseLookup:
    async def lookup(request: web.Request) -> CaseScope | None:
        return await request.app[keys.SCOPES].by_document(request.match_info[name])

    return lookup


def by_file(name: str = "id") -> CaseLookup:
    async def lookup(request: web.Request) -> CaseScope | None:
        found = row_id(request.match_info.get(name, ""))
        return await request.app[keys.SCOPES].by_file(found) if found else None

    return lookup


def by_booking(name: str = "id") -> CaseLookup:
    async def lookup(request: web.Request) -> CaseScope | None:
        found = row_id(request.match_info.get(name, ""))
        return await request.app[keys.SCOPES].by_booking(found) if found else None

    return lookup


def by_room(name: str = "room_id") -> CaseLookup:
    async def lookup(request: web.Request) -> CaseScope | None:
        return await request.app[keys.SCOPES].by_room(request.match_info[name])

    return lookup


def by_token() -> CaseLookup:
    """The case named inside the party's own token (routes whose path names no case)."""

    async def lookup(request: web.Request) -> CaseScope | None:
        who = request.get(req.REQUESTER)
        if isinstance(who, req.Party) and who.claims.case_id is not None:
            return await request.app[keys.SCOPES].by_id(who.claims.case_id)
        return None

    return lookup


# --- the middleware -------------------------------------------------------------------------
async def admit(request: web.Request, spec: Endpoint) -> Call[Any, Any]:
    """Resolve, authorise and parse, or raise the domain error that says why not."""
    # A NUL (%00) in the path or the query names nothing (PostgreSQL cannot even compare it:
    # a 500 in every case, document or party lookup); bodies are checked in models.py.
    if any("\x00" in v for v in request.match_info.values()):
        raise errors.NotFound("not_found", MESSAGES["not_found"])
    if any("\x00" in k or "\x00" in v for k, v in request.query.items()):
        raise errors.BadRequest("invalid_field", NUL_TEXT)
    who: req.Requester = req.Anonymous()
    if spec.in_protocol:
        request[req.REQUESTER] = who
        return Call(request, who, None, None, None)
    if spec.permission != "public":
        who = await _identify(request, spec)
    request[req.REQUESTER] = who
    case, party_id = await _authorise(request, spec, who)
    query = parse_query(request, spec.query) if spec.query else None
    body = await parse_body(request, spec.body) if spec.body else None
    return Call(request, who, case, body, query, party_id)


async def _identify(request: web.Request, spec: Endpoint) -> req.Requester:
    now = spec.clock(request) if spec.clock else None
    if spec.token_in_path:
        token = request.match_info.get(spec.token_in_path, "")
        return req.party(request, token, now=now)
    return await req.resolve(request, now=now)


async def _authorise(
    request: web.Request, spec: Endpoint, who: req.Requester
) -> tuple[CaseScope | None, int | None]:
    perm = spec.permission
    if perm == "public":
        case = await spec.case(request) if spec.case else None
        return case, None
    if isinstance(who, req.BadCredential):
        if who.code == "csrf":  # a live session, but a write the page did not mark as its own
            raise errors.Forbidden("csrf", MESSAGES["csrf"])
        if who.code == "staff_with_party_link":  # a genuine link, but staff's browser
            raise errors.Forbidden(who.code, who.message)
        raise errors.Unauthorized(who.code, who.message)
    if isinstance(who, req.Anonymous):
        raise errors.Unauthorized("login_required", MESSAGES["login_required"])
    if isinstance(who, req.Staff):
        if not who.csrf_ok:
            raise errors.Forbidden("csrf", MESSAGES["csrf"])
        scope = policy.staff_scope(who.user.role, perm)
        if scope is None:
            raise errors.Forbidden("forbidden", MESSAGES["forbidden"])
        case = await _case(request, spec)
        if (
            case is not None
            and scope == "own"
            and not policy.in_own_scope(case, who.user.organisation, who.user.username)
        ):
            raise errors.Forbidden("forbidden", MESSAGES["forbidden"])
        return case, None
    if perm == "resident":
        if not isinstance(who, req.Resident):
            raise errors.Forbidden("resident_only", "请在小程序中登录后使用")
        return None, None
    # Parties and residents act only on a case the route names, and only on their own.
    if spec.case is None or not spec.purposes:
        raise errors.Forbidden("staff_only", "仅限中心工作人员")
    if isinstance(who, req.Party):
        case = await _case(request, spec)
        if case is None or case.id != who.claims.case_id:
            raise errors.Forbidden("other_case", MESSAGES["other_case"])
        if not policy.party_may(who.claims.purpose, perm):
            raise errors.Forbidden("wrong_purpose", MESSAGES["wrong_purpose"])
        if who.claims.purpose == CASE_LINK and not await _live_case_link(request, who.claims):
            raise errors.Unauthorized("link_revoked", REVOKED)
        return case, who.claims.party_id
    assert isinstance(who, req.Resident)
    if perm not in policy.RESIDENT_PERMISSIONS:
        raise errors.Forbidden("forbidden", MESSAGES["forbidden"])
    case = await _case(request, spec)
    party_id = await request.app[keys.SCOPES].party_of_openid(case.id, who.openid) if case else None
    if case is None or party_id is None:
        raise errors.Forbidden("not_party", MESSAGES["not_party"])
    return case, party_id


async def _live_case_link(request: web.Request, claims: Claims) -> bool:
    """A case link of the party's newest link generation (cases/case_link.py)."""
    if claims.party_id is None:
        return False
    current = await request.app[keys.SCOPES].link_generation(claims.party_id)
    return current is not None and generation_of(claims) == current


async def _case(request: web.Request, spec: Endpoint) -> CaseScope | None:
    if spec.case is None:
        return None
    case = await spec.case(request)
    if case is None:
        raise errors.NotFound("not_found", MESSAGES["not_found"])
    return case


def declare(permission: str, **kw: Any) -> Callable[[Any], Any]:
    """Declare a plain aiohttp handler (websockets, WeChat callbacks, streamed files): the
    door checks it the same way; the handler reads ``request[CALL]`` itself."""
    if permission not in policy.PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def wrap(fn: Any) -> Any:
        fn.__endpoint__ = Endpoint(permission, **kw)
        return fn

    return wrap
