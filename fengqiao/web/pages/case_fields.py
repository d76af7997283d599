"""What the resident told the intake, as the case page shows it: each answer under the label
the dialog's review used, in the words and units the resident saw, and the transcript."""

from __future__ import annotations

from typing import Any

from fengqiao.dialogs import questions as q
from fengqiao.dialogs import texts as dialog_texts
from fengqiao.dialogs import validators

NOT_GIVEN = "未提供"
# The dialog says 您 to the resident; staff read the same answers as the applicant's.
STAFF_LABELS = {
    "applicant_name": "申请人称呼",
    "applicant_phone": "申请人电话",
    "wants": "申请人诉求",
    "other_party_name": "对方当事人",
}
# Asked of the resident, but the parties list shows them: no need to say they are missing.
ON_PARTIES = {"applicant_name", "applicant_phone", "other_party_name", "other_party_phone"}
SPEAKERS = {"user": "当事人", "bot": "枫桥助手"}


def label_of(question: dict[str, Any]) -> str:
    key = str(question["key"])
    if key in STAFF_LABELS:
        return STAFF_LABELS[key]
    if key in dialog_texts.FIELD_LABELS:
        return dialog_texts.FIELD_LABELS[key]
    if question.get("label"):
        return str(question["label"])
    if key in q.QUESTION_LABELS:
        return q.QUESTION_LABELS[key]
    return str(question.get("prompt") or key).split("？")[0].split("?")[0][:16]


def shown(kind: str, value: Any) -> str:
    if value is None or value == "":
        return NOT_GIVEN
    if kind == "amount" and isinstance(value, int | float) and not isinstance(value, bool):
        return validators.format_amount(value)
    if kind == "date" and isinstance(value, str):
        return validators.format_date(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def intake_fields(
    types: dict[str, Any], type_code: str, answers: dict[str, Any]
) -> list[dict[str, str]]:
    """Every question the type asks, in its order (unanswered ones as 未提供, but not those the
    parties list already holds), then any answer no question names (a type renamed since, a
    console registration's extra fields), so nothing the resident said is hidden."""
    kind = types.get(type_code)
    asked = q.build_questions(kind) if kind is not None else list(q.APPLICANT_QUESTIONS)
    fields = []
    seen = set()
    for question in asked:
        key = str(question["key"])
        seen.add(key)
        value = answers.get(key)
        if value in (None, "") and key in ON_PARTIES:
            continue
        fields.append(
            {"key": key, "label": label_of(question), "value": shown(question["kind"], value)}
        )
    for key, value in answers.items():
        if key not in seen and value not in (None, ""):
            label = q.QUESTION_LABELS.get(key) or dialog_texts.FIELD_LABELS.get(key) or "其他信息"
            fields.append({"key": key, "label": label, "value": shown("text", value)})
    return fields


def transcript(lines: list[Any]) -> list[dict[str, str]]:
    out = []
    for line in lines or []:
        if not isinstance(line, dict):
            continue
        who = str(line.get("from", ""))
        out.append(
            {
                "who": who if who in SPEAKERS else "user",
                "speaker": SPEAKERS.get(who, "当事人"),
                "text": str(line.get("text", "")),
                "at": str(line.get("at", ""))[:16].replace("T", " "),
            }
        )
    return out
