"""Structured logs: one JSON line per request; secrets never reach a log line."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from roster import jsontext
from roster.redaction import SECRET_NAMES, redact_text


def _redact(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in SECRET_NAMES:
            event[key] = "[REDACTED]"
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def _json_line(event: Any, **options: Any) -> str:
    """orjson renders a log line several times faster than the standard library."""
    return jsontext.dumps(event, default=options.get("default"))


class _RedactingFilter(logging.Filter):
    """Libraries log through the standard library (at DEBUG the database drivers print
    statement parameters, which can hold a filter's value): their lines get the same
    redaction as Roster's own."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure(level: str = "INFO", json: bool = True) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _RedactingFilter) for f in handler.filters):
            handler.addFilter(_RedactingFilter())
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
