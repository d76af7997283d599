"""What booking refuses: the platform's domain errors (fengqiao.errors), each with a stable
code and a Chinese message. `BookingError` is the base of booking's own refusals; the web
edge maps each kind to one status in one place (fengqiao/web/kit/errors.py)."""

from __future__ import annotations

from fengqiao import errors


class BookingError(errors.DomainError):
    """A booking rule said no."""


class Invalid(BookingError, errors.BadRequest):
    """The input cannot be used: no reason given, an unknown slot, a time in the past."""


class NotFound(BookingError, errors.NotFound):
    pass


class Conflict(BookingError, errors.Conflict):
    pass


class Forbidden(BookingError, errors.Forbidden):
    pass
