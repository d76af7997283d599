"""The agreement editor of the console (/console/agreements/{doc}): draft from the case, fill
in what art. 29 of the People's Mediation Law needs, see the problems left, preview, issue,
follow the signing, sign as the mediator with a one-time code, seal, deliver, download the
proofs. Each handler calls the documents services directly (they audit every step); a
refusal comes back to the page as a Chinese message."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fengqiao import errors, keys, policy
from fengqiao.documents.agreement_model import PAYMENT_METHODS
from fengqiao.documents.agreement_progress import agreement_progress
from fengqiao.documents.service import DocumentService
from fengqiao.documents.viewer import Viewer, staff_viewer
from fengqiao.web.kit.door import Call, Routes, by_case, by_document
from fengqiao.web.kit.pages import render
from fengqiao.web.pages import agreement_fields as fields
from fengqiao.web.pages import console_forms as f
from fengqiao.web.pages.console import _page, see_other
from fengqiao.web.pages.flash import flash, pop_flash

routes = Routes()
# What a refusal of the documents services says goes back to the page, where one acts again.
SHOWN = (errors.Invalid, errors.Conflict, errors.TooMany, errors.Forbidden)
SAVED = "协议已保存。"
ISSUED = "协议已定稿发出，签署链接已发给有微信的当事人；没有微信的，请复制下方链接转交。"
RESENT = "已重新发送签署链接（{n} 人）。"
RESENT_NONE = "没有可通过微信重发的当事人，请复制链接转交。"
CODE_SENT = "验证码已发送至 {phone}，5 分钟内有效。"
SIGNED = "您已签署协议。"
SEALED = "已加盖印章，协议生效；司法确认申请期限至 {deadline}。"
DELIVERED = "已电子送达：{names}。"
NOT_DELIVERED = "未送达：{names}（{why}）。"
SIGNATURE_MISSING = "请先在框内手写签名。"
PAGE_PERMISSIONS = ("document.draft", "document.sign", "document.code", "document.seal",
                    "delivery.send", "delivery.certificate", "judicial.package")


def _docs(call: Call[Any, Any]) -> DocumentService:
    return call.app[keys.DOCUMENTS]


async def _back(call: Call[Any, Any], message: str, anchor: str = "", *,
                error: bool = False) -> web.Response:
    session = call.staff.session
    assert session is not None
    await flash(call.request, session, message, error=error)
    # A refusal lands at the top, where its message is, not at a box far below it.
    return see_other(f"/console/agreements/{call.path('doc')}{'' if error else anchor}")


async def _me(call: Call[Any, Any]) -> Viewer:
    """The signed-in staff member as the documents services see them (as the API does)."""
    user = call.staff.user
    found = staff_viewer(user.username, user.display_name, user.phone)
    return found.with_client(call.client_ip, call.user_agent)


# --- from the case page ("调解协议" there lists the case's agreements) ---------------------
@routes.post("/console/cases/{code}/agreement", "document.draft", case=by_case(), page=True)
async def start(call: Call[Any, Any]) -> web.Response:
    code = call.path("code")
    detail = await call.app[keys.CASES].case_detail(code)
    if detail["status"] not in fields.DRAFT_STATUSES:
        session = call.staff.session
        assert session is not None
        await flash(call.request, session, fields.NOT_NOW.format(status=detail["status_name"]),
                    error=True)
        return see_other(f"/console/cases/{code}#agreements")
    draft = await _docs(call).agreements.draft(call.path("code"), await _me(call))
    return see_other(f"/console/agreements/{draft['code']}")


# --- the agreement page -----------------------------------------------------------------
@routes.get("/console/agreements/{doc}", "document.view", case=by_document(), page=True)
async def agreement_page(call: Call[Any, Any]) -> web.Response:
    docs, code = _docs(call), call.path("doc")
    # Read as the mediator would sign it: opening the issued text is recorded for a signer.
    summary = await docs.agreements.summary(code, await _me(call))
    detail = await call.app[keys.CASES].case_detail(summary["case_code"])
    parties = fields.parties_from_case(detail["parties"], summary["data"])
    progress = await agreement_progress(call.app[keys.DB], code)
    can = {p: call.staff_may(p) for p in PAGE_PERMISSIONS}
    links: list[dict[str, str]] = []
    if summary["status"] == "signing" and can["document.draft"]:
        by_id = {str(p["party_id"]): p for p in parties}
        links = [{"name": by_id[k]["name"], "role": by_id[k]["role"], "url": url}
                 for k, url in (await docs.agreements.links(code, await _me(call))).items()
                 if k in by_id]
    next_slot = next((s for s in summary["slots"] if s["field"] == summary["next"]), None)
    user = call.staff.user
    return render(call.request, "agreement.html.j2", _page(
        call,
        flash=await pop_flash(call.request, call.staff.session),
        doc=summary, progress=progress, parties=parties,
        preview=fields.preview_blocks(
            summary["text"], None if policy.sees_personal_data(user.role) else
            fields.masked(parties)),
        form=fields.form_view(summary["data"], parties),
        problems=fields.problems_by_place(summary["problems"]),
        methods=PAYMENT_METHODS, can=can, links=links,
        personal=policy.sees_personal_data(user.role),
        sign_now=bool(summary["my_turn"]) and can["document.sign"],
        seal_now=bool(next_slot and next_slot["role"] == "seal") and can["document.seal"],
    ))


@routes.post("/console/agreements/{doc}/draft", "document.draft", case=by_document(),
             page=True, body=f.AgreementForm)
async def save(call: Call[f.AgreementForm, Any]) -> web.Response:
    docs, code = _docs(call), call.path("doc")
    me = await _me(call)
    current = await docs.agreements.summary(code, me)
    detail = await call.app[keys.CASES].case_detail(current["case_code"])
    update = fields.update_from_form(call.body, detail["parties"], current["data"])
    try:
        saved = await docs.agreements.update_draft(code, me, update)
    except SHOWN as exc:
        return await _back(call, exc.message, error=True)
    left = len(saved["problems"])
    return await _back(call, SAVED + (f"还有 {left} 处需要补充，见各栏红字。" if left else
                                      "内容已齐全，可以定稿发出。"), "#editor")


@routes.post("/console/agreements/{doc}/issue", "document.draft", case=by_document(),
             page=True)
async def issue(call: Call[Any, Any]) -> web.Response:
    try:
        await _docs(call).agreements.issue(call.path("doc"), await _me(call))
    except SHOWN as exc:
        return await _back(call, exc.message + fields.problem_tail(exc.problems), "#editor",
                           error=True)
    return await _back(call, ISSUED, "#signing")


@routes.post("/console/agreements/{doc}/resend", "document.draft", case=by_document(),
             page=True)
async def resend(call: Call[Any, Any]) -> web.Response:
    try:
        sent = await _docs(call).agreements.resend(call.path("doc"), await _me(call))
    except SHOWN as exc:
        return await _back(call, exc.message, "#signing", error=True)
    return await _back(call, RESENT.format(n=sent) if sent else RESENT_NONE, "#signing")


@routes.post("/console/agreements/{doc}/code", "document.code", case=by_document(),
             page=True)
async def send_code(call: Call[Any, Any]) -> web.Response:
    try:
        sent = await _docs(call).agreements.request_code(call.path("doc"), await _me(call))
    except SHOWN as exc:
        return await _back(call, exc.message, "#signing", error=True)
    return await _back(call, CODE_SENT.format(phone=sent["phone"]), "#signing")


@routes.post("/console/agreements/{doc}/sign", "document.sign", case=by_document(),
             page=True, body=f.SignForm)
async def sign(call: Call[f.SignForm, Any]) -> web.Response:
    png = fields.png_of(call.body.signature)
    if not png:
        return await _back(call, SIGNATURE_MISSING, "#signing", error=True)
    try:
        await _docs(call).agreements.sign(call.path("doc"), await _me(call),
                                          code=call.body.code, signature_png=png)
    except SHOWN as exc:
        return await _back(call, exc.message, "#signing", error=True)
    return await _back(call, SIGNED, "#signing")


@routes.post("/console/agreements/{doc}/seal", "document.seal", case=by_document(),
             page=True, body=f.CodeForm)
async def seal(call: Call[f.CodeForm, Any]) -> web.Response:
    try:
        done = await _docs(call).agreements.seal(call.path("doc"), await _me(call),
                                                 code=call.body.code)
    except SHOWN as exc:
        return await _back(call, exc.message, "#signing", error=True)
    return await _back(call, SEALED.format(deadline=done["judicial_deadline_text"]),
                       "#delivery")


@routes.post("/console/agreements/{doc}/deliver", "delivery.send", case=by_document(),
             page=True)
async def deliver(call: Call[Any, Any]) -> web.Response:
    try:
        results = await _docs(call).delivery.deliver(call.path("doc"), await _me(call))
    except SHOWN as exc:
        return await _back(call, exc.message, "#delivery", error=True)
    done = [r["name"] for r in results if r.get("status") not in ("no_consent", "send_failed")]
    missed = [r for r in results if r.get("status") in ("no_consent", "send_failed")]
    message = DELIVERED.format(names="、".join(done)) if done else ""
    if missed:
        message += NOT_DELIVERED.format(names="、".join(r["name"] or "" for r in missed),
                                        why="；".join({r["message"] for r in missed}))
    return await _back(call, message, "#delivery")

