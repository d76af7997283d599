"""The questions an intake asks: the taxonomy's per type, then the applicant's own."""

from __future__ import annotations

from typing import Any

from fengqiao.dialogs import texts

APPLICANT_QUESTIONS = [
    {"key": "applicant_name", "prompt": texts.ASK_APPLICANT_NAME, "kind": "text"},
    {"key": "applicant_phone", "prompt": texts.ASK_APPLICANT_PHONE, "kind": "applicant_phone"},
]
QUESTION_LABELS = {
    "other_party_name": "对方",
    "other_party_phone": "对方电话",
    "when": "发生时间",
    "where": "发生地点",
    "amount": "涉及金额",
    "wants": "您的诉求",
}
MIN_DESCRIPTION = 6
# Name questions and the phone question a number given with the name answers.
NAME_QUESTIONS = {"other_party_name": "other_party_phone", "applicant_name": "applicant_phone"}


def build_questions(kind: Any) -> list[dict[str, Any]]:
    """A dispute type's questions (taxonomy.toml) as plain dicts, then the applicant's."""
    out = [
        {
            "key": q.key,
            "prompt": q.prompt,
            "kind": q.kind,
            "options": list(getattr(q, "options", None) or []),
            "label": getattr(q, "label", None),
        }
        for q in kind.questions
    ]
    return out + APPLICANT_QUESTIONS


def options_text(question: dict[str, Any]) -> str:
    return "\n".join(f"{i}. {o}" for i, o in enumerate(question.get("options") or [], 1))


def is_description(text: str) -> bool:
    """A first message that already tells the dispute (not 你好 or 我要调解)."""
    meaningful = sum(1 for ch in text if ch.isalnum())
    return meaningful >= MIN_DESCRIPTION + 2 and len(text) <= 2000
