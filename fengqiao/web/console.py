"""The staff console (/console/): sign-in, case list, case page with actions, registering
walk-in and phone cases, the revisit call list and the audit check. Edges only: every change
goes through CaseService."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from fengqiao import keys
from fengqiao.accounts import SEES_PERSONAL_DATA, Staff, sign_in
from fengqiao.cases import masking
from fengqiao.cases.errors import ActionRefused, CaseNotFound
from fengqiao.cases.lifecycle import TransitionNotAllowed
from fengqiao.cases.queries import CaseFilter
from fengqiao.cases.rules import LOCAL_TZ
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.signin import SignInThrottle, throttled_message
from fengqiao.storage.models import utcnow
from fengqiao.web import console_texts as T
from fengqiao.web.pages import flash, pop_flash, render, require_staff, sessions
from fengqiao.web.sessions import ConsoleSession, csrf_ok

# Console actions that are not lifecycle triggers but still need a permission.
EXTRA_ACTIONS = ("report", "revisit")


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _types(request: web.Request) -> dict[str, str]:
    intake = request.app[keys.INTAKE].intake
    return {code: t.name for code, t in intake.types.items()}


def _page(user: Staff, session: ConsoleSession, **context: Any) -> dict[str, Any]:
    return {"user": user, "csrf": session.csrf, **context}


async def login_form(request: web.Request) -> web.Response:
    response = web.Response()  # carries the cookie until the page is rendered
    token = sessions(request).ensure_pre(request, response)
    return _with_token(request, response, token, None)


def _with_token(
    request: web.Request, response: web.Response, token: str, error: str | None, status: int = 200
) -> web.Response:
    fresh = render(request, "login.html.j2", {"csrf": token, "error": error}, status=status)
    for name, morsel in response.cookies.items():
        fresh.cookies[name] = morsel
    return fresh


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    store = sessions(request)
    if not store.check_pre(request, str(form.get("csrf", ""))):
        response = web.Response()
        token = store.ensure_pre(request, response)
        return _with_token(request, response, token, T.LOGIN_EXPIRED, status=400)
    tried = await sign_in(
        request.app[keys.DB],
        SignInThrottle(request.app[keys.KV]),
        str(form.get("username", "")),
        str(form.get("password", "")),
        request.remote,
    )
    if tried.wait_seconds:
        response = web.Response()
        token = store.ensure_pre(request, response)
        message = throttled_message(tried.wait_seconds)
        page = _with_token(request, response, token, message, status=429)
        page.headers["Retry-After"] = str(tried.wait_seconds)
        return page
    user = tried.user
    if user is None:
        response = web.Response()
        token = store.ensure_pre(request, response)
        return _with_token(request, response, token, T.LOGIN_FAILED, status=401)
    response = see_other("/console/cases")
    await store.start(request, response, user.id)
    return response


async def logout(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    form = await request.post()
    if not csrf_ok(session, str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text=T.CSRF_FAILED)
    response = see_other("/console/login")
    await sessions(request).end(request, response)
    return response


async def index(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/console/cases")


def filter_from(query: Any, user: Staff) -> CaseFilter:
    before = query.get("before", "")
    flt = CaseFilter(
        status=query.get("status") or None,
        type_code=query.get("type") or None,
        risk=query.get("risk") or None,
        organisation=query.get("organisation") or None,
        overdue=query.get("overdue") == "1",
        q=(query.get("q") or "").strip()[:32] or None,
        before_id=int(before) if before.isdigit() else None,
    )
    if user.role == "mediator":  # mediators see their own organisation's cases
        flt.organisation = user.organisation or "-"
    return flt


async def case_list(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    flt = filter_from(request.query, user)
    page = await request.app[keys.CASES].list_cases(flt)
    organisations = sorted({r.organisation for r in request.app[keys.CASES].config.rules})
    return render(
        request,
        "cases.html.j2",
        _page(
            user,
            session,
            flash=await pop_flash(request, session),
            page=page,
            query=dict(request.query),
            types=_types(request),
            organisations=organisations,
        ),
    )


def _visible(user: Staff, detail: dict[str, Any]) -> bool:
    if user.role != "mediator":
        return True
    departments = {t["department"] for t in detail["tasks"]}
    return detail["organisation"] == user.organisation or user.organisation in departments


def _mask_for(user: Staff, detail: dict[str, Any]) -> dict[str, Any]:
    if user.role in SEES_PERSONAL_DATA:
        return detail
    detail["parties"] = [
        {**p, "name": masking.name(p["name"]), "phone": masking.phone(p["phone"])}
        for p in detail["parties"]
    ]
    detail["description"] = masking.text(detail["description"])
    return detail


async def case_page(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    cases = request.app[keys.CASES]
    try:
        detail = await cases.case_detail(request.match_info["code"])
    except CaseNotFound:
        raise web.HTTPNotFound(text=T.CASE_NOT_FOUND) from None
    if not _visible(user, detail):
        raise web.HTTPForbidden(text=T.FORBIDDEN)
    actions = [a for a in [*detail["actions"], *EXTRA_ACTIONS] if user.can(a)]
    duplicates = []
    if "merge" in actions:
        duplicates = [c.code for c in await cases.find_duplicates(detail["code"])]
    return render(
        request,
        "case.html.j2",
        _page(
            user,
            session,
            flash=await pop_flash(request, session),
            case=_mask_for(user, detail),
            actions=actions,
            duplicates=duplicates,
            whistle_departments=cases.config.whistle_departments,
            organisations=sorted({r.organisation for r in cases.config.rules}),
        ),
    )


async def case_action(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    code, action = request.match_info["code"], request.match_info["action"]
    form = await request.post()
    back = web.HTTPSeeOther(f"/console/cases/{code}")
    if not csrf_ok(session, str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text=T.CSRF_FAILED)
    if action not in T.ACTIONS or not user.can(action):
        raise web.HTTPForbidden(text=T.FORBIDDEN)
    cases = request.app[keys.CASES]

    def f(name: str) -> str:
        return str(form.get(name, "")).strip()

    try:
        if user.role == "mediator" and not _visible(user, await cases.case_detail(code)):
            raise web.HTTPForbidden(text=T.FORBIDDEN)
        actor = user.actor
        if action == "route":
            await cases.route(
                code,
                actor,
                organisation=f("organisation") or None,
                department=f("department") or None,
                reason=f("reason") or None,
                assignee=f("assignee") or None,
            )
        elif action == "handle":
            await cases.handle(code, actor, assignee=f("assignee") or user.username)
        elif action == "assign":
            await cases.assign(code, actor, f("assignee"), f("reason") or None)
        elif action == "whistle":
            await cases.whistle(
                code,
                actor,
                departments=[str(d) for d in form.getall("departments", [])],
                reason=f("reason"),
                instruction=f("instruction"),
            )
        elif action == "report":
            task_id = f("task_id")
            await cases.report_task(int(task_id) if task_id.isdigit() else 0, actor, f("report"))
        elif action == "escalate":
            await cases.escalate(code, actor, f("reason"))
        elif action == "close":
            await cases.close(
                code,
                actor,
                outcome=f("outcome"),
                summary=f("summary"),
                referral=f("referral") or None,
                referral_body=f("referral_body") or None,
            )
        elif action == "archive":
            await cases.archive(code, actor, f("reason") or None)
        elif action == "withdraw":
            await cases.withdraw(code, actor, f("reason"))
        elif action == "merge":
            await cases.merge(code, f("into"), actor, f("reason"))
        elif action == "reopen":
            await cases.reopen(code, actor, f("reason"))
        elif action == "revisit":
            await cases.record_satisfaction(code, None, f("level"), f("comment"), actor=actor)
        await flash(request, session, T.DONE)
    except ActionRefused as exc:
        await flash(request, session, exc.message)
    except TransitionNotAllowed as exc:
        await flash(request, session, f"当前状态（{exc.status_name}）不能{T.ACTIONS[action]}")
    except CaseNotFound:
        raise web.HTTPNotFound(text=T.CASE_NOT_FOUND) from None
    raise back


async def register_form(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    if not user.can("register"):
        raise web.HTTPForbidden(text=T.FORBIDDEN)
    return render(
        request,
        "register.html.j2",
        _page(user, session, flash=await pop_flash(request, session), types=_types(request)),
    )


async def register(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    form = await request.post()
    if not csrf_ok(session, str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text=T.CSRF_FAILED)
    if not user.can("register"):
        raise web.HTTPForbidden(text=T.FORBIDDEN)

    def f(name: str) -> str:
        return str(form.get(name, "")).strip()

    types = _types(request)
    type_code = f("type") if f("type") in types else "other"
    if not f("description") or f("risk") not in T.RISK_OPTIONS:
        await flash(request, session, "请填写纠纷情况并选择风险等级")
        raise web.HTTPSeeOther("/console/register")
    filed = await request.app[keys.CASES].file_case(
        NewCase(
            description=f("description")[:4000],
            channel=f("channel") if f("channel") in T.CHANNELS else "walk_in",
            actor=user.actor,
            type_code=type_code,
            type_name=types.get(type_code, "其他纠纷"),
            risk=f("risk"),
            applicant=PartyInfo(
                name=f("applicant_name") or None, phone=f("applicant_phone") or None
            ),
            respondent=PartyInfo(
                name=f("respondent_name") or None, phone=f("respondent_phone") or None
            ),
            region=f("region") or None,
        )
    )
    await flash(request, session, T.REGISTERED.format(code=filed.code))
    raise web.HTTPSeeOther(f"/console/cases/{filed.code}")


async def revisits(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    if not user.can("revisit"):
        raise web.HTTPForbidden(text=T.FORBIDDEN)
    month = request.query.get("month") or f"{utcnow().astimezone(LOCAL_TZ):%Y-%m}"
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        month = f"{utcnow().astimezone(LOCAL_TZ):%Y-%m}"
    rows = await request.app[keys.CASES].revisit_sample(month)
    return render(request, "revisits.html.j2", _page(user, session, month=month, rows=rows))


async def audit_page(request: web.Request) -> web.Response:
    user, session = await require_staff(request)
    if not user.can("audit"):
        raise web.HTTPForbidden(text=T.FORBIDDEN)
    report = await request.app[keys.CASES].verify_audit()
    return render(request, "audit.html.j2", _page(user, session, report=report))


def setup(app: web.Application) -> None:
    app.router.add_get("/console/", index)
    app.router.add_get("/console", index)
    app.router.add_get("/console/login", login_form)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_get("/console/cases", case_list)
    app.router.add_get("/console/cases/{code}", case_page)
    app.router.add_post("/console/cases/{code}/{action}", case_action)
    app.router.add_get("/console/register", register_form)
    app.router.add_post("/console/register", register)
    app.router.add_get("/console/revisits", revisits)
    app.router.add_get("/console/audit", audit_page)
