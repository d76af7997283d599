"""Masking for lists, logs and leaders' views: one place that calls fengqiao.nlp.pii."""

from __future__ import annotations

from fengqiao.nlp import pii


def name(value: str | None) -> str:
    # pii.mask_name is looked up at call time: it is provided by the NLP package.
    return pii.mask_name(value) if value else ""


def phone(value: str | None) -> str:
    return pii.mask(value) if value else ""


def text(value: str | None) -> str:
    return pii.mask(value) if value else ""
