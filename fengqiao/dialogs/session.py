"""One resident's intake session (stored as JSON) and the state machine that guards which
step may follow which (`transitions`, looked up in its table)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine, MachineError

STATES = [
    "start",
    "consent",
    "describe",
    "confirm_type",
    "choose_type",
    "asking",
    "review",
    "editing",
    "filed",
]
TRANSITIONS: list[dict[str, object]] = [
    {"trigger": "show_notice", "source": "start", "dest": "consent"},
    {"trigger": "agree", "source": ["start", "consent"], "dest": "describe"},
    {"trigger": "propose", "source": ["describe", "choose_type"], "dest": "confirm_type"},
    {
        "trigger": "offer_menu",
        "source": ["describe", "confirm_type", "review"],
        "dest": "choose_type",
    },
    {
        "trigger": "ask",
        "source": ["confirm_type", "choose_type", "editing", "describe"],
        "dest": "asking",
    },
    {"trigger": "to_review", "source": ["asking", "editing", "review"], "dest": "review"},
    {"trigger": "edit", "source": "review", "dest": "editing"},
    {"trigger": "file", "source": "review", "dest": "filed"},
    {"trigger": "new_case", "source": "filed", "dest": "describe"},
    {"trigger": "restart", "source": "*", "dest": "describe"},
    {"trigger": "reset", "source": "*", "dest": "start"},
]


MACHINE = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial="start",
    auto_transitions=False,
)

@dataclass
class Session:
    """Everything the dialog knows about one resident's intake; stored as JSON."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = "start"
    consent: bool = False
    # When the notice was accepted; stored with the person when the case is filed (nothing
    # personal reaches the database before that).
    consent_at: str | None = None
    description: str = ""
    analysis: dict[str, Any] = field(default_factory=dict)
    type: str | None = None
    type_name: str | None = None
    menu: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    current: str | None = None
    editing: str | None = None
    risk: str = "blue"
    risk_reasons: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    case_code: str | None = None
    # The last message answered ({"key", "reply", "code"}): a repeat of it gets the same reply
    # instead of being taken as the next answer.
    last_turn: dict[str, Any] = field(default_factory=dict)
    # A description sent before the privacy notice was accepted: kept (in the session only)
    # and used once the resident agrees, so they never have to write it twice.
    pending: str = ""
    # Questions answered with 没有 / 不知道 …: the resident's own words, shown on review.
    skipped: dict[str, str] = field(default_factory=dict)
    # Danger read in what was said before consent ("red" or "self_harm"): the emergency
    # numbers are given again if the resident declines or cancels, since nothing is kept.
    urgent: str = ""

    def fire(self, trigger: str) -> None:
        """Take the transition `trigger`; transitions.MachineError if this state has none.
        Looked up in the machine's own table, as cases/lifecycle does: firing through a model
        runs the library's callback machinery, 27 us a step for callbacks we do not have."""
        event = MACHINE.events.get(trigger)
        options = event.transitions.get(self.state) if event else None
        if not options:
            raise MachineError(f"Can't trigger event {trigger} from state {self.state}!")
        self.state = options[0].dest or self.state  # no dest: an internal transition

    def clear(self, *, keep_consent: bool = False) -> None:
        """Forget everything but the state (the caller fires the transition), and the consent
        if asked to keep it."""
        fresh = Session(consent=self.consent and keep_consent)
        for key in fresh.__dataclass_fields__:
            if key != "state":
                setattr(self, key, getattr(fresh, key))

    def to_json(self) -> dict[str, Any]:
        # No copies: the result is serialised at once.
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})
