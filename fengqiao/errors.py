"""Domain errors: what a service says when it refuses. They know nothing of HTTP; the web
edge turns each kind into one status and the JSON error shape in one place
(fengqiao/web/kit/errors.py), pages into a Chinese error page, the bot into a reply.

Every error carries a stable ``code`` (for programs) and a ``message`` in Chinese (for people).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a code and a message for the person who asked."""

    def __init__(
        self, code: str, message: str, *, problems: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = problems or []


class Invalid(DomainError):
    """The input cannot be used as it is (a field missing, out of range, malformed)."""


class BadRequest(Invalid):
    """The request itself is malformed (not the JSON it claims to be, a wrong one-time code)."""


class NotFound(DomainError):
    """Nothing of that name, or nothing the asker may know exists."""


class Unauthorized(DomainError):
    """No identity, or one that is bad or expired: sign in or open the link again."""


class Forbidden(DomainError):
    """The asker is known but may not do this."""


class Conflict(DomainError):
    """The thing is in a state where this cannot happen (out of order, done twice)."""


class TooMany(DomainError):
    """Too many attempts; ``retry_after`` says in how many seconds to try again."""

    def __init__(self, code: str, message: str, *, retry_after: int = 60) -> None:
        super().__init__(code, message)
        self.retry_after = max(1, int(retry_after))


class TooLarge(DomainError):
    """A body or file over the limit."""


class Unsupported(DomainError):
    """A file whose content is not of an accepted kind."""


class Unavailable(DomainError):
    """A dependency is down; try again later."""
