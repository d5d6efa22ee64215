"""JSON text, fast: orjson, with the standard library for what orjson refuses
(integers beyond 64 bits, NaN, keys that are not strings), so that nothing valid
becomes unreadable or unwritable. Used for JSON columns and log lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    try:
        return orjson.dumps(value, default=default).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, default=default)
