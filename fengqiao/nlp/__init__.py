"""Reading residents' complaints: dispute type, risk colour, amounts, dates and personal data."""

import sys

if "jieba" not in sys.modules and "pkg_resources" not in sys.modules:
    # jieba 0.42 imports pkg_resources only to open its own data files and falls back to a
    # plain open() without it; importing pkg_resources costs a tenth of a second of the
    # start-up budget (`fengqiao classify`), so jieba is imported with it hidden.
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba  # noqa: F401
    finally:
        del sys.modules["pkg_resources"]

from fengqiao.nlp.analyzer import Analysis, Analyzer, get_analyzer  # noqa: E402

__all__ = ["Analysis", "Analyzer", "get_analyzer"]
