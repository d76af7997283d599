"""Refusals of the document services: domain errors (fengqiao.errors) of the documents
package; the web edge maps each kind to one HTTP status."""

from __future__ import annotations

from fengqiao import errors


class DocumentError(errors.DomainError):
    pass


class NotFound(DocumentError, errors.NotFound):
    pass


class Forbidden(DocumentError, errors.Forbidden):
    pass


class Conflict(DocumentError, errors.Conflict):  # out of order, signed twice, wrong state
    pass


class Invalid(DocumentError, errors.Invalid):  # incomplete agreement, bad input
    pass


class BadCode(DocumentError, errors.BadRequest):  # a one-time code wrong, expired or spent
    pass


class TooMany(DocumentError, errors.TooMany):
    def __init__(self, code: str, message: str, *, retry_after: int = 60) -> None:
        errors.TooMany.__init__(self, code, message, retry_after=retry_after)


class TooLarge(DocumentError, errors.TooLarge):
    pass


class Unsupported(DocumentError, errors.Unsupported):  # content not of an accepted type
    pass
