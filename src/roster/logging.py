"""Structured logs: one JSON line per request; secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from roster import jsontext

_SECRET_PATTERNS = (
    re.compile(r"rstr_[a-z]+_[A-Za-z0-9_\-]{20,}"),
    re.compile(r"(?i)(bearer\s+)[^\s\"']+"),
)


def redact_text(text: str) -> str:
    lowered = text.lower()
    if "rstr_" not in lowered and "bearer" not in lowered:
        return text  # most values (every access line's): nothing to look for
    text = _SECRET_PATTERNS[0].sub("[REDACTED]", text)
    return _SECRET_PATTERNS[1].sub(r"\1[REDACTED]", text)


def _redact(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in {"password", "token", "authorization", "secret"}:
            event[key] = "[REDACTED]"
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def _json_line(event: Any, **options: Any) -> str:
    """orjson renders a log line several times faster than the standard library."""
    return jsontext.dumps(event, default=options.get("default"))


def configure(level: str = "INFO", json: bool = True) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_json_line)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str = "roster") -> Any:
    return structlog.get_logger(name)
