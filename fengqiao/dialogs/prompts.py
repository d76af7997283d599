"""The intake dialog as a form: what is being asked, machine-readable, and structured answers
turned back into the words the dialog understands.

A mini-program draws a picker, a date field, a phone button or a review screen from
``prompt_of``; it answers ``{"key", "value"}`` and ``answer_texts`` checks the value with the same
validators a typed answer meets, then gives the text(s) to run through the one dialog
(intake.py), so both channels keep one state machine and one transcript. Split from intake.py
for size; it reads the dialog's question helpers.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from fengqiao import errors
from fengqiao.dialogs import texts, validators
from fengqiao.dialogs.intake import Intake, Session
from fengqiao.dialogs.questions import MIN_DESCRIPTION, NAME_QUESTIONS

KINDS = ("consent", "text", "choice", "phone", "amount", "date", "review", "done")
OTHER_TYPE = "__other__"  # "none of these" while a type is proposed
MORE_TYPES = "__more__"  # the whole list, from a short menu
SUBMIT = "submit"
NEW_CASE = "new"
MAX_AMOUNT = 1e12  # yuan: more than any dispute a centre mediates, less than a float's trouble
_ISO = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
CONSENT_OPTIONS = [
    {"value": "同意", "label": "同意"},
    {"value": "不同意", "label": "不同意"},
]


def _invalid(code: str, message: str) -> errors.Invalid:
    return errors.Invalid(code, message)


# -- what is asked ---------------------------------------------------------------------------
def _order(intake: Intake, s: Session) -> list[str]:
    """Every step's key in order. Before the type is known its questions are not: the
    count is that of the proposed type (or the catch-all), and may change once chosen."""
    code = s.type or s.analysis.get("type") or "other"
    questions = intake.questions.get(code) or intake._questions(s)
    return ["consent", "description", "type", *(q["key"] for q in questions), "review", "done"]


def _step(intake: Intake, s: Session, key: str) -> tuple[int, int]:
    order = _order(intake, s)
    return (order.index(key) + 1 if key in order else 1), len(order)


def prompt_of(intake: Intake, s: Session) -> dict[str, Any]:
    """What the dialog waits for now: ``{key, kind, label, options, optional, step, of}``."""
    state = s.state
    if state in ("start", "describe"):
        label, step = texts.FIELD_LABELS["description"], 1 if state == "start" else 2
        return _prompt(intake, s, "description", "text", label, [], step=step)
    if state == "consent":
        return _prompt(intake, s, "consent", "consent", "隐私说明", CONSENT_OPTIONS)
    if state == "confirm_type":
        options = [
            {"value": s.type or "", "label": s.type_name or ""},
            {"value": OTHER_TYPE, "label": "选择其他类型"},
        ]
        return _prompt(intake, s, "type", "choice", texts.FIELD_LABELS["type"], options)
    if state == "choose_type":
        options = [
            {"value": code, "label": texts.MORE_TYPES if code == MORE_TYPES
             else intake.types[code].name}
            for code in s.menu
        ]
        return _prompt(intake, s, "type", "choice", texts.FIELD_LABELS["type"], options)
    if state in ("asking", "editing"):
        key = (s.current if state == "asking" else s.editing) or ""
        if key == "description":
            return _prompt(intake, s, key, "text", texts.FIELD_LABELS["description"], [])
        question = intake._question(s, key) or {"key": key, "kind": "text"}
        return _question_prompt(intake, s, question)
    if state == "review":
        options = [
            {"value": key, "label": intake._label(s, key), "answer": shown}
            for key, shown in intake._review_items(s)
        ]
        return _prompt(intake, s, "review", "review", "核对信息", options)
    return _prompt(intake, s, "done", "done", "已提交", [])


def _question_prompt(intake: Intake, s: Session, question: dict[str, Any]) -> dict[str, Any]:
    kind = "phone" if question["kind"] == "applicant_phone" else question["kind"]
    options = [{"value": o, "label": o} for o in question.get("options") or []]
    return _prompt(
        intake, s, question["key"], kind, intake._label(s, question["key"]), options,
        optional=_optional(question),
    )


def _optional(question: dict[str, Any]) -> bool:
    """Whether 不知道 (a null value) is an answer: not for the applicant's own name and phone."""
    return question["key"] not in ("applicant_name", "applicant_phone")


def _prompt(
    intake: Intake,
    s: Session,
    key: str,
    kind: str,
    label: str,
    options: list[dict[str, Any]],
    *,
    optional: bool = False,
    step: int | None = None,
) -> dict[str, Any]:
    at, of = _step(intake, s, key)
    return {"key": key, "kind": kind, "label": label, "options": options,
            "optional": optional, "step": step or at, "of": of}  # fmt: skip


# -- structured answers ----------------------------------------------------------------------
def answer_texts(
    intake: Intake, s: Session, key: str, value: Any, given: bool, now: datetime
) -> list[str]:
    """The message(s) that give the dialog ``value`` for ``key``; errors.Invalid (422) when
    the key is not what is asked or the value would not be accepted as typed."""
    asked = prompt_of(intake, s)
    answered = [item for item, _ in intake._review_items(s)] if s.state == "review" else []
    if key != asked["key"] and key in answered:  # an edit from the review screen
        opening = f"修改{answered.index(key) + 1}"
        if not given:
            return [opening]
        if key == "type":
            return [opening, _type_text(intake, list(intake.types), value)]
        return [opening, _value_text(intake, s, key, value, now)]
    if key != asked["key"]:
        raise _invalid(
            "wrong_key",
            f"现在要回答的是“{asked['label']}”（key 为 {asked['key']}），不是 {key[:40]}。",
        )
    if not given:
        raise _invalid("value_required", f"请填写“{asked['label']}”的 value。")
    if key == "consent":
        return [_consent_text(value)]
    if key == "review":
        if value in (SUBMIT, "提交"):
            return ["提交"]
        raise _invalid("bad_value", "核对无误请提交 value 为 submit；要修改某项，请用该项的 key。")
    if key == "done":
        if value == NEW_CASE:
            return ["新纠纷"]
        raise _invalid("bad_value", "纠纷已提交；要登记另一件纠纷，请提交 value 为 new。")
    if key == "type":
        if s.state == "confirm_type":
            if value == s.type:
                return ["1"]
            if value == OTHER_TYPE:
                return ["2"]
        return [_type_text(intake, s.menu, value)]
    if key == "description" and s.state == "start":
        return [_string(value, "事情经过")]  # the notice comes first; checked once agreed
    return [_value_text(intake, s, key, value, now)]


def _string(value: Any, label: str, limit: int = 2000) -> str:
    if not isinstance(value, str):
        raise _invalid("bad_value", f"“{label}”应为文字。")
    text = validators.normalise_input(value)
    if not text:
        raise _invalid("bad_value", f"“{label}”不能为空。")
    if len(text) > limit:
        raise _invalid("bad_value", f"“{label}”太长，请在{limit}字以内。")
    return text


def _consent_text(value: Any) -> str:
    if value is True or value in ("同意", "agree"):
        return "同意"
    if value is False or value in ("不同意", "decline"):
        return "不同意"
    raise _invalid("bad_value", "请选择“同意”或“不同意”（value 为 true 或 false）。")


def _type_text(intake: Intake, menu: list[str], value: Any) -> str:
    """The menu number of type ``value`` (a type code); a known type not in a short menu by
    its name, which the dialog finds among all types."""
    if isinstance(value, str) and value in menu:
        return str(menu.index(value) + 1)
    if isinstance(value, str) and value in intake.types:
        return intake.types[value].name
    names = "、".join(f"{c}（{intake.types[c].name}）" for c in menu if c in intake.types)
    raise _invalid("bad_value", f"没有这个纠纷类型，请从选项中选择：{names}。")


def _value_text(intake: Intake, s: Session, key: str, value: Any, now: datetime) -> str:
    """The answer to question ``key`` as the text the dialog will accept, or Invalid."""
    if key == "description":
        text = _string(value, texts.FIELD_LABELS["description"])
        if sum(1 for ch in text if ch.isalnum()) < MIN_DESCRIPTION:
            raise _invalid("bad_value", texts.DESCRIPTION_TOO_SHORT)
        return text
    question = intake._question(s, key)
    if question is None:
        raise _invalid("wrong_key", f"没有这一项：{key[:40]}。")
    kind, label = question["kind"], intake._label(s, key)
    if value is None and _optional(question):
        return "不知道"  # the resident does not know: the question said it may be skipped
    if kind == "amount" and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or not 0 < value <= MAX_AMOUNT:
            raise _invalid("bad_value", f"“{label}”应在 0 到 {int(MAX_AMOUNT)} 元之间。")
        value = f"{int(value) if float(value).is_integer() else value}元"
    if kind == "date" and isinstance(value, str) and _ISO.fullmatch(value.strip()):
        value = _iso_date_text(value.strip(), label)
    text = _string(value, label, 500)
    if key == "applicant_name" and validators.is_not_a_name(intake._word(text)):
        raise _invalid("bad_value", texts.APPLICANT_NAME_REQUIRED.format(**intake.fmt))
    if _optional(question) and validators.is_skip(text):
        return text
    analysis = intake.analyzer.screen(text, now)
    found: Any
    if key in NAME_QUESTIONS:
        found = validators.name_answer(text)[0]
    elif kind in ("phone", "applicant_phone"):
        found = validators.phone_answer(text)
    elif kind == "amount":
        found = validators.amount_answer(text, analysis)
    elif kind == "date":
        found = validators.date_answer(text, analysis, now)
    elif kind == "choice":
        options = list(question.get("options") or [])
        if text not in options:
            raise _invalid("bad_value", f"“{label}”请从选项中选择：{'、'.join(options)}。")
        # By number, as a typed answer may: an option worded like a skip word (不清楚) is
        # that option, not "unknown".
        return str(options.index(text) + 1)
    else:
        found = validators.text_answer(text)
    if found is None:
        message = texts.INVALID.get(kind, texts.INVALID["text"])
        if key in NAME_QUESTIONS:
            message = "请填写姓名或称呼（单位可写单位名称），电话请在下一项填写。"
        raise _invalid("bad_value", message)
    return text


def _iso_date_text(value: str, label: str) -> str:
    """2024-03-05 as 2024年3月5日 (2024-03, 2024 alike), refusing days that do not exist."""
    parts = [int(p) for p in value.split("-")]
    try:
        date(parts[0], *(parts[1:] + [1, 1])[:2])
    except ValueError:
        raise _invalid("bad_value", f"“{label}”不是有效的日期：{value}。") from None
    return validators.format_date(value)
