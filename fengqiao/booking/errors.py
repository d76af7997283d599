"""What booking refuses: domain errors, each with a stable code and a Chinese message.

`status` is the HTTP status an edge answers with; the mapping lives at the edge, booking only
says which kind of refusal it is (invalid, not found, conflict, forbidden).
"""

from __future__ import annotations


class BookingError(Exception):
    """A rule said no: the request is invalid."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(BookingError):
    status = 404


class Conflict(BookingError):
    status = 409


class Forbidden(BookingError):
    status = 403
