"""The dispute taxonomy operators edit in ``config/taxonomy.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

QUESTION_KINDS = frozenset({"text", "phone", "amount", "date", "choice"})


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    kind: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class DisputeType:
    code: str
    name: str
    description: str
    department: str
    keywords: tuple[str, ...]
    questions: tuple[Question, ...] = field(default_factory=tuple)


def _question(raw: dict[str, object], where: str) -> Question:
    kind = str(raw.get("kind", "text"))
    if kind not in QUESTION_KINDS:
        raise ValueError(f"{where}: question kind {kind!r} not in {sorted(QUESTION_KINDS)}")
    listed = raw.get("options") or ()
    if not isinstance(listed, list | tuple):
        raise ValueError(f"{where}: options of {raw.get('key')!r} must be a list")
    options = tuple(str(o) for o in listed)
    if kind == "choice" and not options:
        raise ValueError(f"{where}: choice question {raw.get('key')!r} has no options")
    return Question(str(raw["key"]), str(raw["prompt"]), kind, options)


def load_taxonomy(path: Path) -> list[DisputeType]:
    """Types in file order; each type's questions are the common ones (minus skipped ones and
    the amount question where no money is involved) followed by its own."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    common = [_question(q, "common_questions") for q in data.get("common_questions", [])]
    types: list[DisputeType] = []
    seen: set[str] = set()
    for raw in data.get("type", []):
        code = str(raw["code"])
        if code in seen:
            raise ValueError(f"taxonomy: duplicate type code {code!r}")
        seen.add(code)
        skip = set(raw.get("skip_common", []))
        if raw.get("money", True) is False:
            skip.add("amount")
        own = [_question(q, code) for q in raw.get("questions", [])]
        own_keys = {q.key for q in own}
        questions = [q for q in common if q.key not in skip and q.key not in own_keys]
        # "what the resident wants" stays the last question: it closes the story.
        wants = [q for q in questions if q.key == "wants"]
        questions = [q for q in questions if q.key != "wants"] + own + wants
        types.append(
            DisputeType(
                code=code,
                name=str(raw["name"]),
                description=str(raw.get("description", "")),
                department=str(raw.get("department", "")),
                keywords=tuple(str(k) for k in raw.get("keywords", [])),
                questions=tuple(questions),
            )
        )
    if not types:
        raise ValueError(f"{path}: no [[type]] entries")
    return types
