"""The agreement editor's form and the stored draft, both ways: the draft's data as form
rows, a posted form as the draft's fields, the problems placed next to the fields they are
about. The parties' names, roles and details always come from the case's party records."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from fengqiao.cases import masking
from fengqiao.documents.agreement_model import PAYMENT_METHODS
from fengqiao.documents.agreement_service import ROLE_NAMES
from fengqiao.web.pages.console_forms import AgreementForm

# An agreement is drafted while the case is being mediated: routed to a committee or in hand.
DRAFT_STATUSES = ("routed", "handling")
NOT_NOW = "当前状态（{status}）不能起草调解协议，请先分流或受理办理。"
SCHEDULES = {"once": "一次付清", "instalments": "分期履行"}
KINDS = {"payment": "给付金钱", "act": "履行行为"}
PARTY_KINDS = {"person": "自然人", "org": "单位"}
_WHERE = re.compile(r"^(\w+)(?:\[(\d+)\])?")
_AMOUNT = re.compile(r"[,，\s元]")


def parties_from_case(case_parties: list[dict[str, Any]], data: dict[str, Any]
                      ) -> list[dict[str, Any]]:
    """The agreement's parties: the case's applicants and respondents as staff recorded them,
    with what only the agreement says of them (person or organisation, its representative)."""
    kept = {p.get("party_id"): p for p in data.get("parties") or [] if isinstance(p, dict)}
    out = []
    for p in case_parties:
        if p["role"] not in ROLE_NAMES:
            continue
        old = kept.get(p["id"], {})
        out.append({"party_id": p["id"], "name": p["name"], "role": ROLE_NAMES[p["role"]],
                    "id_number": p["id_number"], "address": p["address"],
                    "phone": p["phone"], "agent": p["agent"],
                    "kind": old.get("kind", "person"),
                    "representative": old.get("representative", "")})
    return out


def form_view(data: dict[str, Any], parties: list[dict[str, Any]]) -> dict[str, Any]:
    """The draft as the form shows it, with one empty obligation row to add another."""
    responsibilities = data.get("responsibilities") or {}
    rows = []
    for ob in data.get("obligations") or []:
        account = ob.get("account") or {}
        instalments = ob.get("instalments") or []
        rows.append({
            "obligor": ob.get("obligor", ""), "obligee": ob.get("obligee", ""),
            "kind": ob.get("kind", "payment"), "description": ob.get("description", ""),
            "amount": "" if ob.get("amount") is None else str(ob.get("amount")),
            "method": ob.get("method", ""), "holder": account.get("holder", ""),
            "bank": account.get("bank", ""), "number": account.get("number", ""),
            "schedule": "instalments" if instalments else "once",
            "deadline": ob.get("deadline") or "",
            "instalments": "\n".join(f"{i.get('due', '')} {i.get('amount', '')}"
                                     for i in instalments),
            "default_clause": ob.get("default_clause", ""), "new": False,
        })
    names = [p["name"] for p in parties]
    rows.append({"obligor": names[-1] if names else "", "obligee": names[0] if names else "",
                 "kind": "payment", "description": "", "amount": "", "method": "",
                 "holder": "", "bank": "", "number": "", "schedule": "once", "deadline": "",
                 "instalments": "", "default_clause": "", "new": True})
    return {
        "facts": data.get("facts", ""), "disputed_matters": data.get("disputed_matters", ""),
        "responsibilities": [responsibilities.get(p["name"], "") for p in parties],
        "obligations": rows, "other_terms": "\n".join(data.get("other_terms") or []),
        "place": data.get("place", ""), "signed_on": data.get("signed_on", ""),
        "mediator": data.get("mediator", ""), "committee": data.get("committee", ""),
        "schedules": SCHEDULES, "kinds": KINDS, "party_kinds": PARTY_KINDS,
    }


def _at(values: list[str], n: int) -> str:
    return values[n] if n < len(values) else ""


def update_from_form(form: AgreementForm, case_parties: list[dict[str, Any]],
                     data: dict[str, Any]) -> dict[str, Any]:
    """The draft fields a posted form sets (the service merges them into the draft)."""
    parties = parties_from_case(case_parties, data)
    for n, p in enumerate(parties):
        kind = _at(form.party_kind, n)
        p["kind"] = kind if kind in PARTY_KINDS else p["kind"]
        p["representative"] = _at(form.party_rep, n) if p["kind"] == "org" else ""
    obligations = []
    for n in range(len(form.ob_obligor)):
        row = {k: _at(getattr(form, f"ob_{k}"), n) for k in (
            "obligor", "obligee", "kind", "description", "amount", "method", "holder", "bank",
            "number", "schedule", "deadline", "instalments", "default")}
        if not (row["description"] or row["amount"] or row["default"] or row["deadline"]):
            continue  # the empty row left for adding one
        obligations.append(_obligation(row))
    return {
        "parties": parties, "facts": form.facts, "disputed_matters": form.disputed_matters,
        "responsibilities": {p["name"]: _at(form.responsibility, n).strip()
                             for n, p in enumerate(parties) if p["name"]},
        "obligations": obligations,
        "other_terms": [t.strip() for t in form.other_terms.splitlines() if t.strip()][:20],
        "place": form.place, "signed_on": form.signed_on or data.get("signed_on", ""),
    }


def _obligation(row: dict[str, str]) -> dict[str, Any]:
    kind = row["kind"] if row["kind"] in KINDS else "payment"
    ob: dict[str, Any] = {"obligor": row["obligor"], "obligee": row["obligee"], "kind": kind,
                          "description": row["description"].strip(),
                          "deadline": row["deadline"] or None,
                          "default_clause": row["default"].strip()}
    if kind == "payment":
        ob["amount"] = _AMOUNT.sub("", row["amount"]) or None
        ob["method"] = row["method"] if row["method"] in PAYMENT_METHODS else ""
        if any(row[k] for k in ("holder", "bank", "number")):
            ob["account"] = {"holder": row["holder"].strip(), "bank": row["bank"].strip(),
                             "number": re.sub(r"\s", "", row["number"])}
        if row["schedule"] == "instalments":
            ob["instalments"] = [_instalment(line) for line in row["instalments"].splitlines()
                                 if line.strip()][:60]
    return ob


def _instalment(line: str) -> dict[str, str]:
    """One line of the schedule: "2026-03-01 5000" (a date, then the amount)."""
    parts = line.replace("，", " ").replace(",", " ").split()
    due = parts[0] if parts else ""
    amount = _AMOUNT.sub("", parts[1]) if len(parts) > 1 else "0"
    return {"due": due[:10], "amount": amount or "0"}


def masked(parties: list[dict[str, Any]]) -> dict[str, str]:
    """The parties' ID numbers, phones and addresses, and what a masked view shows instead."""
    hide: dict[str, str] = {}
    for p in parties:
        for key, mask in (("id_number", masking.text), ("phone", masking.phone),
                          ("address", masking.text)):
            if len(p.get(key) or "") >= 4:
                hide[p[key]] = mask(p[key])
    return hide


def masked_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A document's summary (agreement_service.summary) for a role that sees personal data
    masked (the seal keeper, policy.UNMASKED_ROLES): the parties' ID numbers, phones and
    addresses and the payee's account masked in the text and the data, as the console's
    agreement page shows them. The PDF is the signed document and stays as it is."""
    data = summary.get("data") if isinstance(summary.get("data"), dict) else None
    parties = [p for p in (data or {}).get("parties") or [] if isinstance(p, dict)]
    hide = masked(parties)
    text = summary.get("text")
    for secret, shown in hide.items():
        text = text.replace(secret, shown) if text else text
    out = {**summary, "text": masking.text(text) if text else text}
    if data is not None:
        out["data"] = {
            **data,
            "parties": [
                {**p, **{k: hide.get(p[k], masking.text(p[k])) for k in
                         ("id_number", "phone", "address") if isinstance(p.get(k), str)}}
                for p in parties
            ],
            "obligations": [_masked_account(o) for o in data.get("obligations") or []],
        }
    return out


def _masked_account(obligation: Any) -> Any:
    account = obligation.get("account") if isinstance(obligation, dict) else None
    if not isinstance(account, dict) or not isinstance(account.get("number"), str):
        return obligation
    return {**obligation, "account": {**account, "number": masking.text(account["number"])}}


def problems_by_place(problems: list[dict[str, str]]) -> dict[str, list[str]]:
    """Problems keyed by where the form shows them: "parties", "facts", "disputed_matters",
    "responsibilities", "obligations.N" (N from 0), "other"."""
    placed: dict[str, list[str]] = {}
    for problem in problems:
        where = problem.get("where", "")
        found = _WHERE.match(where)
        key = found.group(1) if found else "other"
        if key == "obligations" and found and found.group(2) is not None:
            key = f"obligations.{found.group(2)}"
        elif key not in ("parties", "facts", "disputed_matters", "responsibilities",
                         "obligations"):
            key = "other"
        placed.setdefault(key, []).append(problem["message"])
    return placed


def problem_tail(problems: list[dict[str, Any]]) -> str:
    return "：" + "；".join(p["message"] for p in problems[:6]) if problems else ""


def png_of(value: str) -> bytes:
    data = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(data, validate=True) if data else b""
    except (binascii.Error, ValueError):
        return b""


def preview_blocks(text: str | None, hide: dict[str, str] | None = None
                   ) -> list[tuple[str, str]]:
    """The agreement's text as the page shows it: the title, section headings, paragraphs;
    ``hide`` replaces personal data for a reader whose role sees it masked."""
    blocks: list[tuple[str, str]] = []
    text = text or ""
    for secret, shown in (hide or {}).items():
        text = text.replace(secret, shown)
    for block in re.split(r"\n\s*\n", text):
        block = block.strip("\n")
        if not block:
            continue
        if block.startswith("# "):
            blocks.append(("h1", block[2:]))
        elif block.startswith("## "):
            head, _, rest = block.partition("\n")
            blocks.append(("h", head[3:]))
            if rest:
                blocks.append(("p", rest))
        else:
            blocks.append(("p", block))
    return blocks
