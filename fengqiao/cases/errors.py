"""Errors the case service raises; the edges turn them into replies or JSON errors."""

from __future__ import annotations

from fengqiao import errors

CASE_NOT_FOUND = "案件编号不存在或有误，请核对后重试"


class CaseNotFound(errors.NotFound, LookupError):
    def __init__(self, code: str = "") -> None:
        super().__init__("case_not_found", CASE_NOT_FOUND)
        self.case_code = code


class ActionRefused(errors.Conflict, ValueError):
    """A change the service will not make, with a message for the person who asked."""
