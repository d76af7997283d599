"""Structured (JSON-line) logging with personal data masked before anything is written."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from fengqiao.nlp.pii import mask

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

# A platform token (fengqiao.tokens: fq1.<claims>.<signature>) anywhere in a line; a query
# value that carries a credential (?t=, ?ticket=, ?token=); a path segment long enough to be
# one (a case code is 15 characters, a document code 24, a token over a hundred).
_TOKEN = re.compile(r"fq1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_CREDENTIAL_QUERY = re.compile(r"([?&;](?:t|ticket|token|access_token|sig)=)[^&;#\s]*", re.I)
_LONG_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_.=~%-]{40,}")
HIDDEN = "…"


def scrub_tokens(text: str) -> str:
    """``text`` with every token and credential query value replaced by "…"."""
    return _CREDENTIAL_QUERY.sub(rf"\1{HIDDEN}", _TOKEN.sub(f"fq1.{HIDDEN}", text))


def scrub_path(path: str) -> str:
    """A request path (with or without its query) fit for a log line: the party link in
    /api/v1/booking/party/<token>/confirm or /h5/booking/<token> is a credential."""
    return _LONG_SEGMENT.sub(HIDDEN, scrub_tokens(path))


def _clean(key: str, value: str) -> str:
    return mask(scrub_path(value) if key in ("path", "url") else scrub_tokens(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _clean("msg", record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = _clean(key, value) if isinstance(value, str) else value
        if record.exc_info:
            out["exc"] = _clean("exc", self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(level: str = "INFO", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log prints full query strings (signatures, codes): keep ours instead.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
