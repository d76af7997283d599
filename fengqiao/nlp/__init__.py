"""Reading residents' complaints: dispute type, risk colour, amounts, dates and personal data."""

from fengqiao.nlp.analyzer import Analysis, Analyzer, get_analyzer

__all__ = ["Analysis", "Analyzer", "get_analyzer"]
