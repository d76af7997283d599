"""The intake interview: what is still unknown decides the next question (docassemble-style);
a `transitions` state machine (session.py) guards which step may follow which. Pure logic, no
I/O: `IntakeService` loads and saves the session and files the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fengqiao.cases.codes import CODE_IN_TEXT
from fengqiao.dialogs import texts, urgent, validators
from fengqiao.dialogs.questions import (
    APPLICANT_QUESTIONS,
    MIN_DESCRIPTION,
    NAME_QUESTIONS,
    QUESTION_LABELS,
    build_questions,
    is_description,
    options_text,
)
from fengqiao.dialogs.session import MACHINE, STATES, TRANSITIONS, Session

__all__ = ["APPLICANT_QUESTIONS", "STATES", "TRANSITIONS", "AnalyzerLike", "Intake", "Session"]

RISK_ORDER = {"blue": 0, "yellow": 1, "red": 2}
MORE_WORDS = (validators.bare(texts.MORE_TYPES), "更多", "其他类型", "都不是")
SNAPSHOT_KEYS = ("state", "type", "type_name", "menu", "answers", "current", "editing")


class AnalyzerLike(Protocol):
    def analyze(self, text: str, now: datetime | None = None) -> Any: ...

    def screen(self, text: str, now: datetime | None = None) -> Any: ...

    @property
    def taxonomy(self) -> Any: ...


@dataclass
class Outcome:
    replies: list[str]
    submit: bool = False  # the service must file the case, then call `filed` or `submit_failed`
    progress_query: str | None = None  # "mine" or a case code: the service answers it
    wants_human: bool = False


class Intake:
    def __init__(self, analyzer: AnalyzerLike, centre: str, hotline: str) -> None:
        self.analyzer = analyzer
        self.fmt = {"centre": centre, "hotline": hotline}
        self.types = {t.code: t for t in analyzer.taxonomy}
        # Looked up on every turn: built once.
        self.commands = {
            w.lower(): command for command, words in texts.COMMAND_WORDS.items() for w in words
        }
        self.questions = {code: build_questions(t) for code, t in self.types.items()}
        # Traditional input (重新開始, 進度, 確認) is matched in its Simplified form.
        self._simplify = getattr(analyzer, "simplify", None)

    # -- turn entry points -------------------------------------------------------------
    def turn(self, session: Session, raw: str, now: datetime, *, commands: bool = True) -> Outcome:
        """One message. ``commands=False`` for a structured answer (prompts.py): its value is
        an answer even when it reads like 取消 or holds a case code."""
        text = validators.normalise_input(raw)
        at = now.isoformat()
        if session.state != "start" or session.consent:
            session.transcript.append({"from": "user", "text": text, "at": at})
        outcome = self._dispatch(session, text, now) if commands else self._step(session, text, now)
        for reply in outcome.replies:
            if session.consent:
                session.transcript.append({"from": "bot", "text": reply, "at": at})
        return outcome

    def begin(self, session: Session, now: datetime) -> Outcome:
        """Start an intake (menu "我要调解"), or repeat the current question if one is open."""
        if session.state != "start":
            return Outcome([self._repeat(session)])
        return self.turn(session, "", now)

    def _dispatch(self, s: Session, text: str, now: datetime) -> Outcome:
        command = self._command(text)
        if command == "help":
            return Outcome([texts.HELP.format(step_hint=self._hint(s))])
        if command == "cancel":
            kind = "" if s.consent else s.urgent
            s.clear(keep_consent=True)
            s.fire("reset")
            return Outcome([urgent.not_kept(kind, self.fmt) if kind else texts.CANCELLED])
        if command == "human":
            return Outcome([texts.HUMAN.format(**self.fmt)], wants_human=True)
        if command == "progress":
            return Outcome([], progress_query="mine")
        if s.state in ("start", "filed"):
            code = CODE_IN_TEXT.search(text)
            if code:
                return Outcome([], progress_query=code.group())
        if command == "restart" and s.consent:
            s.clear(keep_consent=True)
            s.fire("restart")
            return Outcome([texts.RESTARTED, texts.ASK_DESCRIPTION])
        if command == "back":
            return self._back(s)
        return self._step(s, text, now)

    def _step(self, s: Session, text: str, now: datetime) -> Outcome:
        return getattr(self, f"_step_{s.state}")(s, text, now)  # type: ignore[no-any-return]

    # -- steps ---------------------------------------------------------------------------
    def _step_start(self, s: Session, text: str, now: datetime) -> Outcome:
        if s.consent:
            s.fire("agree")
            return self._step_describe(s, text, now) if text else Outcome([texts.ASK_DESCRIPTION])
        danger: list[str] = []
        if is_description(text):
            s.pending = text
            danger = urgent.screen(self.analyzer, s, text, self.fmt)
        s.fire("show_notice")
        return Outcome(danger + [texts.PRIVACY_NOTICE.format(**self.fmt)])

    def _step_consent(self, s: Session, text: str, now: datetime) -> Outcome:
        word = self._word(text)
        if word in texts.NO_WORDS or word.startswith("不同意"):
            kind = s.urgent
            s.clear()
            s.fire("reset")
            if kind:
                return Outcome([urgent.not_kept(kind, self.fmt)])
            return Outcome([texts.CONSENT_DECLINED.format(**self.fmt)])
        if word in texts.YES_WORDS or word.startswith("同意"):
            s.consent = True
            at = now.isoformat()
            pending, s.pending = s.pending, ""
            if pending:  # said before the notice: on the record only now that they agreed
                s.transcript.insert(0, {"from": "user", "text": pending, "at": at})
            s.transcript.append({"from": "user", "text": text, "at": at})
            s.fire("agree")
            s.consent_at = at
            if pending:
                kept = texts.KEPT_DESCRIPTION.format(text=pending)
                return Outcome([kept] + self._step_describe(s, pending, now).replies)
            return Outcome([texts.ASK_DESCRIPTION])
        # Neither yes nor no: still nothing kept, but danger said now is answered now.
        return Outcome(urgent.screen(self.analyzer, s, text, self.fmt) + [texts.CONSENT_REASK])

    def _step_describe(self, s: Session, text: str, now: datetime) -> Outcome:
        meaningful = sum(1 for ch in text if ch.isalnum())
        if meaningful < MIN_DESCRIPTION:
            return Outcome([texts.DESCRIPTION_TOO_SHORT])
        if len(text) > 2000:
            return Outcome([texts.DESCRIPTION_TOO_LONG])
        self._push(s)
        analysis = self.analyzer.analyze(text, now)
        s.description = text
        s.analysis = {
            "type": analysis.type,
            "type_name": analysis.type_name,
            "confidence": float(analysis.confidence),
            "top": [[code, float(score)] for code, score in analysis.top],
            "keywords": list(analysis.keywords),
            "department": analysis.department,
            "risk": analysis.risk,
            "risk_reasons": list(analysis.risk_reasons),
        }
        replies = self._raise_risk(s, analysis)
        self._prefill(s, analysis)
        if getattr(analysis, "low_confidence", False) or analysis.type not in self.types:
            s.menu = [code for code, _ in analysis.top if code in self.types][:3]
            s.menu.append("__more__")
            s.fire("offer_menu")
            return Outcome(replies + [self._menu_text(s, low=True)])
        s.type, s.type_name = analysis.type, analysis.type_name
        keywords = "、".join(analysis.keywords[:4]) or analysis.type_name
        s.fire("propose")
        return Outcome(
            replies + [texts.PROPOSE_TYPE.format(type_name=s.type_name, keywords=keywords)]
        )

    def _step_confirm_type(self, s: Session, text: str, now: datetime) -> Outcome:
        word = self._word(text)
        if word in ("1", "是", "是的", "对", "确认", "好", "嗯"):
            self._push(s)
            s.fire("ask")
            return self._next_question(s)
        if word in ("2", "不是", "不对", "否", "选择其他类型"):
            self._push(s)
            s.menu = list(self.types)
            s.fire("offer_menu")
            return Outcome([self._menu_text(s)])
        return Outcome([texts.CONFIRM_REASK])

    def _step_choose_type(self, s: Session, text: str, now: datetime) -> Outcome:
        word = self._word(text)
        chosen: str | None = None
        if word.isdigit() and 1 <= int(word) <= len(s.menu):
            chosen = s.menu[int(word) - 1]
        elif word in MORE_WORDS and "__more__" in s.menu:
            chosen = "__more__"
        else:
            chosen = self._find_type(s, text)
        if chosen is None:
            return Outcome([texts.TYPE_REASK + "\n" + self._menu_list(s)])
        self._push(s)
        if chosen == "__more__":
            s.menu = list(self.types)
            return Outcome([self._menu_text(s)])
        self._set_type(s, chosen)
        if s.editing == "type":
            s.editing = None
        s.fire("ask")
        return self._next_question(s)

    def _step_asking(self, s: Session, text: str, now: datetime) -> Outcome:
        question = self._question(s, s.current)
        if question is None:
            return self._next_question(s)
        ok, value, replies = self._accept(s, question, text, now)
        if not ok:
            return Outcome(replies)
        self._push(s)
        s.answers[question["key"]] = value
        return Outcome(replies + self._next_question(s).replies)

    def _step_review(self, s: Session, text: str, now: datetime) -> Outcome:
        word = self._word(text)
        if word in texts.SUBMIT_WORDS:
            return Outcome([], submit=True)
        number = word.removeprefix("修改").removeprefix("改")
        items = self._review_items(s)
        if number.isdigit() and 1 <= int(number) <= len(items):
            key = items[int(number) - 1][0]
            self._push(s)
            s.editing = key
            if key == "type":
                s.menu = list(self.types)
                s.fire("offer_menu")
                return Outcome([self._menu_text(s)])
            s.fire("edit")
            label, prompt = self._label(s, key), self._prompt(s, key)
            return Outcome([texts.EDIT_PROMPT.format(label=label, prompt=prompt)])
        return Outcome([texts.REVIEW_REASK])

    def _step_editing(self, s: Session, text: str, now: datetime) -> Outcome:
        key = s.editing or ""
        replies: list[str] = []
        if key == "description":
            if sum(1 for ch in text if ch.isalnum()) < MIN_DESCRIPTION:
                return Outcome([texts.DESCRIPTION_TOO_SHORT])
            replies = self._raise_risk(s, self.analyzer.analyze(text, now))
            s.description = text
        else:
            question = self._question(s, key)
            if question is None:
                s.editing = None
                s.fire("to_review")
                return Outcome([self._review_text(s)])
            ok, value, replies = self._accept(s, question, text, now)
            if not ok:
                return Outcome(replies)
            s.answers[key] = value
        s.editing = None
        s.fire("to_review")
        return Outcome(replies + [self._review_text(s)])

    def _step_filed(self, s: Session, text: str, now: datetime) -> Outcome:
        if self._command(text) == "new":
            s.clear(keep_consent=True)
            s.fire("new_case")
            return Outcome([texts.ASK_DESCRIPTION])
        return Outcome([texts.AFTER_FILED.format(code=s.case_code)])

    # -- results from the service ----------------------------------------------------------
    def filed(
        self, session: Session, code: str, deadline: str, progress_url: str, channel: str = "",
        case_link: str = "",
    ) -> str:
        """The filing reply, pointing to where the resident's channel shows progress: their
        own case link (``case_link``, a sentence of texts.CASE_LINK) where it can be opened."""
        session.fire("file")
        session.case_code = code
        session.history.clear()
        step = texts.NEXT_STEP.get(session.risk, texts.NEXT_STEP["blue"])
        if not deadline and "{deadline}" in step:
            step = texts.NEXT_STEP_NO_DEADLINE
        ways = texts.FOLLOW_UP_CASE if case_link else texts.FOLLOW_UP
        follow = ways.get(channel, ways[""])
        follow_up = follow.format(progress_url=progress_url, case_link=case_link)
        return texts.FILED.format(code=code, next_step=step.format(deadline=deadline),
                                  follow_up=follow_up)

    # -- helpers ---------------------------------------------------------------------------
    def _accept(
        self, s: Session, question: dict[str, Any], text: str, now: datetime
    ) -> tuple[bool, Any, list[str]]:
        kind = question["kind"]
        analysis = self.analyzer.screen(text, now)
        replies = self._raise_risk(s, analysis)
        if question["key"] == "applicant_name" and validators.is_not_a_name(self._word(text)):
            return False, None, replies + [texts.APPLICANT_NAME_REQUIRED.format(**self.fmt)]
        if kind != "applicant_phone" and validators.is_skip(text):
            if kind == "text":
                return True, text, replies  # 没有 stays 没有
            s.skipped[question["key"]] = text
            return True, None, replies
        s.skipped.pop(question["key"], None)
        value: Any
        if question["key"] in NAME_QUESTIONS:
            value, phone = validators.name_answer(text)
            phone_key = NAME_QUESTIONS[question["key"]]
            if phone and phone_key not in s.answers:
                s.answers[phone_key] = phone  # never asked for again
            if value is None and phone:
                who = "对方" if question["key"] == "other_party_name" else "您"
                return False, None, replies + [texts.NAME_NOT_PHONE.format(who=who)]
        elif kind in ("phone", "applicant_phone"):
            value = validators.phone_answer(text)
        elif kind == "amount":
            value = validators.amount_answer(text, analysis)
        elif kind == "date":
            value = validators.date_answer(text, analysis, now)
        elif kind == "choice":
            value = validators.choice_answer(text, list(question.get("options") or []))
        else:
            value = validators.text_answer(text)
        if value is None:
            reask = texts.INVALID.get(kind, texts.INVALID["text"])
            if kind == "choice":
                reask += "\n" + options_text(question)
            return False, None, replies + [reask]
        return True, value, replies

    def _raise_risk(self, s: Session, analysis: Any) -> list[str]:
        risk = getattr(analysis, "risk", "blue")
        if RISK_ORDER.get(risk, 0) > RISK_ORDER.get(s.risk, 0):
            s.risk = risk
        for reason in getattr(analysis, "risk_reasons", []) or []:
            if reason not in s.risk_reasons and risk != "blue":
                s.risk_reasons.append(reason)
        if risk == "red":
            if getattr(analysis, "self_harm", False):
                return [texts.SELF_HARM_GUIDANCE.format(**self.fmt)]  # 12356 with 110/120
            return [texts.RED_GUIDANCE.format(**self.fmt)]
        return []

    def _prefill(self, s: Session, analysis: Any) -> None:
        amounts = list(getattr(analysis, "amounts_yuan", []) or [])
        if len(amounts) == 1:
            s.answers.setdefault("amount", amounts[0])
        dates = list(getattr(analysis, "dates", []) or [])
        if len(dates) == 1:
            s.answers.setdefault("when", dates[0].iso)

    def _set_type(self, s: Session, code: str) -> None:
        s.type, s.type_name = code, self.types[code].name
        allowed = {q["key"] for q in self._questions(s)}
        s.answers = {k: v for k, v in s.answers.items() if k in allowed}

    def _questions(self, s: Session) -> list[dict[str, Any]]:
        """The questions of the session's type, then the applicant's; shared: read only."""
        return self.questions.get(s.type or "", APPLICANT_QUESTIONS)

    def _question(self, s: Session, key: str | None) -> dict[str, Any] | None:
        return next((q for q in self._questions(s) if q["key"] == key), None)

    def _next_question(self, s: Session) -> Outcome:
        for question in self._questions(s):
            if question["key"] not in s.answers:
                s.current = question["key"]
                prompt = question["prompt"]
                if question["kind"] == "choice":
                    prompt += "\n" + options_text(question)
                return Outcome([prompt])
        s.current = None
        s.fire("to_review")
        return Outcome([self._review_text(s)])

    def _review_items(self, s: Session) -> list[tuple[str, str]]:
        items = [("type", s.type_name or ""), ("description", s.description)]
        for question in self._questions(s):
            value = s.answers.get(question["key"])
            if question["kind"] == "amount" and value is not None:
                shown = validators.format_amount(value)
            elif question["kind"] == "date" and isinstance(value, str) and value:
                shown = validators.format_date(value)
            elif value in (None, ""):
                shown = s.skipped.get(question["key"]) or texts.UNKNOWN_ANSWER
            else:
                shown = str(value)
            items.append((question["key"], shown))
        return items

    def _review_text(self, s: Session) -> str:
        lines = [
            f"{i}. {self._label(s, key)}：{value}"
            for i, (key, value) in enumerate(self._review_items(s), 1)
        ]
        return texts.REVIEW_HEADER + "\n".join(lines) + texts.REVIEW_FOOTER

    def _label(self, s: Session, key: str) -> str:
        if key in texts.FIELD_LABELS:
            return texts.FIELD_LABELS[key]
        question = self._question(s, key)
        if question and question.get("label"):
            return str(question["label"])
        if key in QUESTION_LABELS:
            return QUESTION_LABELS[key]
        prompt = question["prompt"] if question else key
        return prompt.split("？")[0].split("?")[0][:16]

    def _prompt(self, s: Session, key: str) -> str:
        if key == "description":
            return texts.ASK_DESCRIPTION
        question = self._question(s, key)
        if question is None:
            return ""
        prompt = str(question["prompt"])
        if question["kind"] == "choice":
            prompt += "\n" + options_text(question)
        return prompt

    def _menu_list(self, s: Session) -> str:
        lines = []
        for i, code in enumerate(s.menu, 1):
            name = texts.MORE_TYPES if code == "__more__" else self.types[code].name
            lines.append(f"{i}. {name}")
        return "\n".join(lines)

    def _menu_text(self, s: Session, low: bool = False) -> str:
        template = texts.CHOOSE_TYPE_LOW_CONFIDENCE if low else texts.CHOOSE_TYPE
        return template.format(menu=self._menu_list(s))

    def _hint(self, s: Session) -> str:
        return texts.STEP_HINTS.get(s.state, "")

    def _command(self, text: str) -> str | None:
        return self.commands.get(self._word(text))

    def _word(self, text: str) -> str:
        """The answer as a bare Simplified word, for matching commands and choices."""
        if self._simplify is not None:
            text = self._simplify(text)
        return validators.bare(text)

    def _find_type(self, s: Session, text: str) -> str | None:
        """A type named in words: 邻里, 邻里纠纷, 劳动 …, first among those offered."""
        word = self._word(text).removesuffix("纠纷").removesuffix("争议")
        if len(word) < 2:
            return None
        offered = [c for c in s.menu if c in self.types] + list(self.types)
        for code in offered:
            if word == self.types[code].name.removesuffix("纠纷").removesuffix("争议"):
                return code
        found = list(dict.fromkeys(c for c in offered if word in self.types[c].name))
        return found[0] if len(found) == 1 else None

    def _push(self, s: Session) -> None:
        # Snapshot values are strings, flat lists and flat dicts: shallow copies are enough.
        s.history.append(
            {
                k: (v.copy() if isinstance(v, list | dict) else v)
                for k in SNAPSHOT_KEYS
                for v in (getattr(s, k),)
            }
        )
        del s.history[:-30]

    def _back(self, s: Session) -> Outcome:
        if not s.history or s.state in ("start", "consent", "filed"):
            return Outcome([texts.BACK_AT_START, self._repeat(s)])
        snapshot = s.history.pop()
        for key, value in snapshot.items():
            if key != "state":
                setattr(s, key, value)
        s.state = MACHINE.get_state(snapshot["state"]).name  # a known state, or ValueError
        return Outcome([self._repeat(s)])

    def _repeat(self, s: Session) -> str:
        """The question of the current step, asked again."""
        if s.state == "describe":
            return texts.ASK_DESCRIPTION
        if s.state == "confirm_type":
            keywords = "、".join(s.analysis.get("keywords", [])[:4]) or (s.type_name or "")
            return texts.PROPOSE_TYPE.format(type_name=s.type_name, keywords=keywords)
        if s.state == "choose_type":
            return self._menu_text(s)
        if s.state == "asking" and s.current:
            return self._prompt(s, s.current)
        if s.state == "review":
            return self._review_text(s)
        if s.state == "editing" and s.editing:
            return texts.EDIT_PROMPT.format(
                label=self._label(s, s.editing), prompt=self._prompt(s, s.editing)
            )
        if s.state == "consent":
            return texts.CONSENT_REASK
        if s.state == "filed":
            return texts.AFTER_FILED.format(code=s.case_code)
        return texts.STEP_HINTS["start"]

