"""Value coercion shared by every door (SCIM input and PATCH, CSV, the console): one
rule per kind, and an `invalid` error naming the attribute and what it must be."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from roster.model.errors import invalid
from roster.model.registry import CustomAttribute

_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
DATE_FORMATS = "YYYY-MM-DD, an ISO 8601 date-time (2026-01-31T00:00:00Z) or MM/DD/YYYY"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def as_bool(value: Any, where: str) -> bool:
    """JSON booleans, and Entra's "True"/"False" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(f"{where} must be true or false, got {value!r}")


def as_text(value: Any, where: str, max_length: int) -> str | None:
    """A string attribute. Numbers are accepted as their text; "" clears the attribute."""
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        raise invalid(f"{where} must be a string, got {type(value).__name__}")
    text = str(value) if isinstance(value, int | float) else value
    if not isinstance(text, str):
        raise invalid(f"{where} must be a string")
    text = text.strip()
    if "\x00" in text:
        raise invalid(f"{where} must not contain NUL characters")
    if len(text) > max_length:
        raise invalid(f"{where} is longer than {max_length} characters")
    return text or None


def as_date(value: Any, where: str) -> date | None:
    """Dates as YYYY-MM-DD, ISO 8601 date-times or MM/DD/YYYY (Entra's format)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise invalid(f"{where} must be a date string ({DATE_FORMATS}), got {value!r}")
    text = value.strip()
    try:
        m = _MDY.match(text)
        if m:
            return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise invalid(
            f"{where}: {value!r} is not a date; accepted formats are {DATE_FORMATS}"
        ) from None


def as_number(value: Any, where: str) -> float | int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise invalid(f"{where} must be a number, got {value!r}")
    number: float | int | None = None
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            pass
        else:
            number = int(parsed) if parsed.is_integer() and "." not in value else parsed
    if number is None:
        raise invalid(f"{where} must be a number, got {value!r}")
    # NaN and infinities are no JSON, and PostgreSQL gives 1e30 back as an integer
    # past 64 bits that no JSON encoder here writes: refuse them rather than fail later.
    if isinstance(number, float) and not math.isfinite(number):
        raise invalid(f"{where} must be a finite number, got {value!r}")
    if not -(2**63) < number < 2**63:
        raise invalid(f"{where} is out of range (at most 18 digits), got {value!r}")
    return number


def as_email(value: Any, where: str) -> str | None:
    text = as_text(value, where, 320)
    if text is not None and not _EMAIL.match(text):
        raise invalid(f"{where}: {text!r} is not an email address (name@example.com)")
    return text


def location(value: Any, where: str) -> str | None:
    """Okta builds location as String.join(", ", city, state, countryCode): drop the
    empty parts (", , US" -> "US"); an all-empty value clears it."""
    text = as_text(value, where, 400)
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    return ", ".join(p for p in parts if p) or None


def custom_value(attr: CustomAttribute, value: Any, where: str) -> Any:
    """A custom attribute's value, by the type the company gave it."""
    if attr.type == "boolean":
        return None if value is None or value == "" else as_bool(value, where)
    if attr.type == "number":
        return as_number(value, where)
    if attr.type == "date":
        parsed = as_date(value, where)
        return parsed.isoformat() if parsed else None
    return as_text(value, where, 2000)
