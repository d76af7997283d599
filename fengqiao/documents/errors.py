"""Refusals of the document services. The web edge maps each class to an HTTP status."""

from __future__ import annotations

from typing import Any


class DocumentError(Exception):
    def __init__(self, code: str, message: str, *, problems: list[dict[str, Any]] | None = None
                 ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = problems or []


class NotFound(DocumentError):
    pass


class Forbidden(DocumentError):
    pass


class Conflict(DocumentError):  # out of order, signed twice, wrong state
    pass


class Invalid(DocumentError):  # incomplete agreement, bad input
    pass


class BadCode(DocumentError):  # a one-time code that is wrong, expired or spent
    pass


class TooMany(DocumentError):
    pass


class TooLarge(DocumentError):
    pass


class Unsupported(DocumentError):  # a file whose content is not an accepted type
    pass
