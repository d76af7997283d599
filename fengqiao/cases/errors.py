"""Errors the case service raises; the edges turn them into replies or JSON errors."""

from __future__ import annotations


class CaseNotFound(LookupError):
    pass


class ActionRefused(ValueError):
    """A change the service will not make, with a message for the person who asked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
