"""The case lifecycle as a state machine: 受理 → 分流 → 处置 → 反馈 → 归档, plus withdrawal,
merging and reopening. The `transitions` machine is the single definition of which action is
allowed in which status; CaseService asks it before every change."""

from __future__ import annotations

from transitions import Machine

from fengqiao.cases.statuses import (
    ACCEPTED,
    ARCHIVED,
    FEEDBACK,
    HANDLING,
    MERGED,
    NAMES,
    OPEN,
    ROUTED,
    WITHDRAWN,
)

STATES = [ACCEPTED, ROUTED, HANDLING, FEEDBACK, ARCHIVED, WITHDRAWN, MERGED]

TRANSITIONS: list[dict[str, object]] = [
    # 分流, and re-routing while the case is still being worked on.
    {"trigger": "route", "source": list(OPEN), "dest": ROUTED},
    # The receiving organisation takes the case up.
    {"trigger": "handle", "source": [ROUTED, HANDLING], "dest": HANDLING},
    # 吹哨报到: departments are called in; the case is being handled.
    {"trigger": "whistle", "source": list(OPEN), "dest": HANDLING},
    # Handling ends with an outcome that is fed back to the parties (小事当场解 included).
    {"trigger": "close", "source": list(OPEN), "dest": FEEDBACK},
    {"trigger": "archive", "source": FEEDBACK, "dest": ARCHIVED},
    {"trigger": "withdraw", "source": list(OPEN), "dest": WITHDRAWN},
    {"trigger": "merge", "source": list(OPEN), "dest": MERGED},
    # A poor revisit answer (or a leader) sends a closed case back under supervision.
    {"trigger": "reopen", "source": [FEEDBACK, ARCHIVED], "dest": HANDLING},
    # Supervision and assignment do not change the status but are allowed only on open cases.
    {"trigger": "escalate", "source": list(OPEN), "dest": None},
    {"trigger": "assign", "source": list(OPEN), "dest": None},
]

_MACHINE = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial=ACCEPTED,
    auto_transitions=False,
)


class TransitionNotAllowed(ValueError):
    """The action is not allowed in the case's current status."""

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"{action} is not allowed in status {status}")
        self.action = action
        self.status = status
        self.status_name = NAMES.get(status, status)


def next_status(status: str, action: str) -> str:
    """The status after `action`, or TransitionNotAllowed. Internal actions keep the status."""
    event = _MACHINE.events.get(action)
    if event is None:
        raise TransitionNotAllowed(action, status)
    options = event.transitions.get(status)
    if not options:
        raise TransitionNotAllowed(action, status)
    dest = options[0].dest
    return status if dest is None else dest


def allowed_actions(status: str) -> list[str]:
    """Actions the console may offer for a case in this status."""
    return [name for name, event in _MACHINE.events.items() if event.transitions.get(status)]
