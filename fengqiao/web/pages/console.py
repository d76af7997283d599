"""The staff console (/console/): sign-in, case list, case page with actions, registering
walk-in and phone cases, the revisit call list and the audit check. Every route declares its
permission; the door (web/kit) has checked it, and the case's scope, before a handler runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web

from fengqiao import errors, keys, policy
from fengqiao.accounts import Staff, sign_in
from fengqiao.cases import masking
from fengqiao.cases.errors import ActionRefused
from fengqiao.cases.lifecycle import TransitionNotAllowed
from fengqiao.cases.parties import PartyRecord
from fengqiao.cases.queries import CaseFilter
from fengqiao.cases.rules import LOCAL_TZ
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.documents.agreement_progress import case_agreements
from fengqiao.signin import SignInThrottle, throttled_message
from fengqiao.sms import build_link_sender
from fengqiao.storage.models import utcnow
from fengqiao.web import console_texts as T
from fengqiao.web.kit.door import Call, Routes, by_case
from fengqiao.web.kit.pages import render
from fengqiao.web.pages import case_fields
from fengqiao.web.pages import console_forms as f
from fengqiao.web.pages.agreement_fields import DRAFT_STATUSES
from fengqiao.web.pages.case_booking import case_booking
from fengqiao.web.pages.flash import flash, pop_flash
from fengqiao.web.sessions import SessionStore

routes = Routes()
# Console actions that are not lifecycle triggers but still need a permission.
EXTRA_ACTIONS = ("report", "revisit")


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _sessions(call: Call[Any, Any]) -> SessionStore:
    return call.app[keys.CONSOLE_SESSIONS]


def _types(call: Call[Any, Any]) -> dict[str, str]:
    intake = call.app[keys.INTAKE].intake
    return {code: t.name for code, t in intake.types.items()}


def _page(call: Call[Any, Any], **context: Any) -> dict[str, Any]:
    staff = call.staff
    return {"user": staff.user, "csrf": staff.session.csrf if staff.session else "", **context}


# --- sign-in ------------------------------------------------------------------------------
@routes.get("/console/login", "public", page=True)
async def login_form(call: Call[Any, Any]) -> web.Response:
    response = web.Response()  # carries the cookie until the page is rendered
    token = _sessions(call).ensure_pre(call.request, response)
    return _with_token(call.request, response, token, None)


def _with_token(
    request: web.Request, response: web.Response, token: str, error: str | None, status: int = 200
) -> web.Response:
    fresh = render(request, "login.html.j2", {"csrf": token, "error": error}, status=status)
    for name, morsel in response.cookies.items():
        fresh.cookies[name] = morsel
    return fresh


@routes.post("/console/login", "public", page=True)
async def login(call: Call[Any, Any]) -> web.Response:
    request = call.request
    form = await request.post()
    store = _sessions(call)
    if not store.check_pre(request, str(form.get("csrf", ""))):
        response = web.Response()
        token = store.ensure_pre(request, response)
        return _with_token(request, response, token, T.LOGIN_EXPIRED, status=400)
    tried = await sign_in(
        call.app[keys.DB],
        SignInThrottle(call.app[keys.KV]),
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
    target = request.query.get("next", "")
    # Only a path of this console: never a redirect to another site.
    if not target.startswith("/console/") or target.startswith("//"):
        target = "/console/cases"
    response = see_other(target)
    await store.start(request, response, user.id)
    return response


@routes.post("/console/logout", "staff", page=True)
async def logout(call: Call[Any, Any]) -> web.Response:
    response = see_other("/console/login")
    await _sessions(call).end(call.request, response)
    return response


@routes.get("/console/", "staff", page=True)
async def index(call: Call[Any, Any]) -> web.Response:
    return see_other("/console/cases")


routes.get("/console", "staff", page=True)(index)


# --- cases --------------------------------------------------------------------------------
def filter_from(query: f.CaseListQuery, user: Staff) -> CaseFilter:
    flt = CaseFilter(
        status=query.status or None,
        type_code=query.type or None,
        risk=query.risk or None,
        organisation=query.organisation or None,
        overdue=query.overdue == "1",
        q=query.q[:32] or None,
        before_id=query.before,
    )
    if policy.staff_scope(user.role, "case.view") == "own":
        flt.own = (user.organisation, user.username)
    return flt


@routes.get("/console/cases", "case.view", page=True, query=f.CaseListQuery)
async def case_list(call: Call[Any, f.CaseListQuery]) -> web.Response:
    user = call.staff.user
    flt = filter_from(call.query, user)
    cases = call.app[keys.CASES]
    page = await cases.list_cases(flt)
    urgent: list[Any] = []
    if not (call.query.before or call.query.risk or call.query.status or call.query.q):
        # Red cases come first, whatever the filters below would show: someone must act.
        red = replace(flt, risk="red", open_only=True, limit=20, type_code=None, overdue=False)
        urgent = (await cases.list_cases(red))["items"]
    organisations = sorted({r.organisation for r in call.app[keys.CASES].config.rules})
    return render(
        call.request,
        "cases.html.j2",
        _page(
            call,
            flash=await pop_flash(call.request, call.staff.session),
            page=page,
            urgent=urgent,
            query=dict(call.request.query),
            types=_types(call),
            organisations=organisations,
        ),
    )


def _mask_for(user: Staff, detail: dict[str, Any]) -> dict[str, Any]:
    if policy.sees_personal_data(user.role):
        return detail
    detail["parties"] = [
        {
            **p,
            "name": masking.name(p["name"]),
            "phone": masking.phone(p["phone"]),
            "id_number": masking.text(p["id_number"]),
            "agent": masking.name(p["agent"]),
        }
        for p in detail["parties"]
    ]
    detail["description"] = masking.text(detail["description"])
    detail["intake"] = [
        {**f, "value": _masked_answer(f["key"], f["value"])} for f in detail["intake"]
    ]
    detail["transcript"] = [{**t, "text": masking.text(t["text"])} for t in detail["transcript"]]
    return detail


def _masked_answer(key: str, value: str) -> str:
    if key.endswith("_name"):
        return masking.name(value) if value != case_fields.NOT_GIVEN else value
    return masking.text(value)


def allowed_actions(call: Call[Any, Any], lifecycle_actions: list[str]) -> list[str]:
    """The actions this staff member may take on this case now: the lifecycle allows them and
    the policy grants them on this case."""
    return [a for a in [*lifecycle_actions, *EXTRA_ACTIONS] if call.staff_may(f"case.{a}")]


@routes.get("/console/cases/{code}", "case.view", case=by_case(), page=True)
async def case_page(call: Call[Any, Any]) -> web.Response:
    cases = call.app[keys.CASES]
    detail = await cases.case_detail(call.path("code"))
    detail["intake"] = case_fields.intake_fields(
        call.app[keys.INTAKE].intake.types, detail["type"], detail.pop("answers")
    )
    detail["transcript"] = case_fields.transcript(detail["transcript"])
    actions = allowed_actions(call, detail["actions"])
    duplicates = []
    if "merge" in actions:
        duplicates = [c.code for c in await cases.find_duplicates(detail["code"])]
    can_message = call.staff_may("case.messages")
    return render(
        call.request,
        "case.html.j2",
        _page(
            call,
            flash=await pop_flash(call.request, call.staff.session),
            case=_mask_for(call.staff.user, detail),
            actions=actions,
            can_edit_parties=call.staff_may("case.parties"),
            duplicates=duplicates,
            agreements=await case_agreements(call.app[keys.DB], detail["code"])
            if call.staff_may("document.view")
            else None,
            can_draft=detail["status"] in DRAFT_STATUSES
            and call.staff_may("document.draft"),
            # The 留言 section loads only for roles that answer parties; no link to it otherwise.
            can_message=can_message,
            # Those roles may also text a party their case link (web/pages/case_link_sms.py).
            can_sms_case_link=can_message
            and build_link_sender(call.app[keys.SETTINGS]) is not None,
            whistle_departments=cases.config.whistle_departments,
            organisations=sorted({r.organisation for r in cases.config.rules}),
            # Bookings and the video room (issue #19 point 2): web/pages/case_booking.py.
            booking=await case_booking(call, detail["code"]),
        ),
    )


def _action(action: str) -> Any:
    async def act(call: Call[Any, Any]) -> web.Response:
        code, form = call.path("code"), call.body
        cases, actor = call.app[keys.CASES], call.staff.actor
        session = call.staff.session
        assert session is not None
        try:
            if action == "route":
                await cases.route(
                    code,
                    actor,
                    organisation=form.organisation or None,
                    department=form.department or None,
                    reason=form.reason or None,
                    assignee=form.assignee or None,
                )
            elif action == "handle":
                await cases.handle(code, actor, assignee=form.assignee or call.staff.user.username)
            elif action == "assign":
                await cases.assign(code, actor, form.assignee, form.reason or None)
            elif action == "whistle":
                await cases.whistle(
                    code,
                    actor,
                    departments=form.departments,
                    reason=form.reason,
                    instruction=form.instruction,
                )
            elif action == "report":
                await cases.report_task(form.task_id, actor, form.report)
            elif action == "escalate":
                await cases.escalate(code, actor, form.reason)
            elif action == "close":
                await cases.close(
                    code,
                    actor,
                    outcome=form.outcome,
                    summary=form.summary,
                    referral=form.referral or None,
                    referral_body=form.referral_body or None,
                )
            elif action == "archive":
                await cases.archive(code, actor, form.reason or None)
            elif action == "withdraw":
                await cases.withdraw(code, actor, form.reason)
            elif action == "merge":
                await cases.merge(code, form.into, actor, form.reason)
            elif action == "reopen":
                await cases.reopen(code, actor, form.reason)
            elif action == "revisit":
                await cases.record_satisfaction(code, None, form.level, form.comment, actor=actor)
            await flash(call.request, session, T.DONE.format(action=T.ACTIONS[action]))
        except ActionRefused as exc:  # shown on the case page, where the clerk acts again
            await flash(call.request, session, exc.message, error=True)
        except TransitionNotAllowed as exc:
            refused = f"当前状态（{exc.status_name}）不能{T.ACTIONS[action]}"
            await flash(call.request, session, refused, error=True)
        return see_other(f"/console/cases/{code}")

    act.__name__ = f"case_{action}"
    return act


for _name in T.ACTIONS:
    routes.post(
        f"/console/cases/{{code}}/{_name}",
        f"case.{_name}",
        case=by_case(),
        page=True,
        body=f.ACTION_FORMS[_name],
    )(_action(_name))


# --- parties ------------------------------------------------------------------------------
def _record(form: f.PartyForm) -> PartyRecord:
    return PartyRecord(
        role=form.role,
        name=form.name,
        phone=form.phone,
        id_number=form.id_number,
        address=form.address,
        agent=form.agent,
    )


@routes.post(
    "/console/cases/{code}/parties", "case.parties", case=by_case(), page=True, body=f.PartyForm
)
async def add_party(call: Call[f.PartyForm, Any]) -> web.Response:
    return await _save_party(call, None)


@routes.post(
    "/console/cases/{code}/parties/{party}",
    "case.parties",
    case=by_case(),
    page=True,
    body=f.PartyForm,
)
async def update_party(call: Call[f.PartyForm, Any]) -> web.Response:
    return await _save_party(call, call.path_id("party"))


async def _save_party(call: Call[f.PartyForm, Any], party_id: int | None) -> web.Response:
    code, session = call.path("code"), call.staff.session
    assert session is not None
    cases = call.app[keys.CASES]
    try:
        if party_id is None:
            await cases.add_party(code, _record(call.body), call.staff.actor)
        else:
            await cases.update_party(code, party_id, _record(call.body), call.staff.actor)
        await flash(call.request, session, T.PARTY_SAVED)
    except errors.Invalid as exc:
        # Back to the form itself, open, filled in with what was typed and the message beside
        # it (at the top of the page the message sat above the screen, and the input was lost).
        where = "add-party" if party_id is None else f"party-{party_id}"
        await flash(call.request, session, exc.message, error=True, where=where,
                    form=call.body.model_dump(exclude={"csrf"}))
        return see_other(f"/console/cases/{code}#{where}")
    return see_other(f"/console/cases/{code}#parties")


# --- registering a walk-in or phone case -----------------------------------------------------
@routes.get("/console/register", "case.register", page=True)
async def register_form(call: Call[Any, Any]) -> web.Response:
    return render(
        call.request,
        "register.html.j2",
        _page(
            call, flash=await pop_flash(call.request, call.staff.session), types=_types(call)
        ),
    )


@routes.post("/console/register", "case.register", page=True, body=f.RegisterForm)
async def register(call: Call[f.RegisterForm, Any]) -> web.Response:
    form = call.body
    session = call.staff.session
    assert session is not None
    types = _types(call)
    type_code = form.type if form.type in types else "other"
    if not form.description or form.risk not in T.RISK_OPTIONS:
        await flash(call.request, session, "请填写纠纷情况并选择风险等级", error=True)
        return see_other("/console/register")
    filed = await call.app[keys.CASES].file_case(
        NewCase(
            description=form.description,
            channel=form.channel if form.channel in T.CHANNELS else "walk_in",
            actor=call.staff.actor,
            type_code=type_code,
            type_name=types.get(type_code, "其他纠纷"),
            risk=form.risk,
            applicant=PartyInfo(
                name=form.applicant_name or None, phone=form.applicant_phone or None
            ),
            respondent=PartyInfo(
                name=form.respondent_name or None, phone=form.respondent_phone or None
            ),
            region=form.region or None,
        )
    )
    await flash(call.request, session, T.REGISTERED.format(code=filed.code))
    return see_other(f"/console/cases/{filed.code}")


@routes.get("/console/revisits", "case.revisit", page=True, query=f.RevisitQuery)
async def revisits(call: Call[Any, f.RevisitQuery]) -> web.Response:
    month = call.query.month or f"{utcnow().astimezone(LOCAL_TZ):%Y-%m}"
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        month = f"{utcnow().astimezone(LOCAL_TZ):%Y-%m}"
    rows = await call.app[keys.CASES].revisit_sample(month)
    return render(call.request, "revisits.html.j2", _page(call, month=month, rows=rows))


@routes.get("/console/audit", "audit.view", page=True)
async def audit_page(call: Call[Any, Any]) -> web.Response:
    report = await call.app[keys.CASES].verify_audit()
    return render(call.request, "audit.html.j2", _page(call, report=report))
