"""What goes into an audit row: the request with secrets removed, and the changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

REDACTED = "[REDACTED]"
_SECRET_KEYS = {"password", "token", "secret", "authorization"}


def redact(value: Any) -> Any:
    """A copy of a request body with every password-like value replaced."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if (isinstance(k, str) and k.lower() in _SECRET_KEYS) or (
                isinstance(k, str)
                and k.lower() == "value"
                and isinstance(value.get("path") or value.get("Path"), str)
                and str(value.get("path") or value.get("Path")).lower() == "password"
            ):
                out[k] = REDACTED
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changes."""
    return {
        k: [jsonable(before.get(k)), jsonable(v)] for k, v in after.items() if before.get(k) != v
    }
