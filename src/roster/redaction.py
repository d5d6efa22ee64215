"""Secrets never written anywhere: one redaction for the server log, the provisioning
log and audit rows, applied before anything is written.

What counts as a secret: a Roster token (`rstr_<kind>_...`, the prefix exists so that
it can be found), the credential after `Bearer`, the value of a secret-named query
parameter (`?access_token=...`, `password=...`), and in a JSON body the value of a
secret-named member (`password`, URN-qualified or any case, and a PATCH operation's
value whose path is one).
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[REDACTED]"
SECRET_NAMES = frozenset({"password", "token", "secret", "authorization"})

_TOKEN = re.compile(r"rstr_[a-z]+_[A-Za-z0-9_\-]{20,}")
_BEARER = re.compile(r"(?i)(bearer(?:\s|%20|\+)+)[^\s\"'&]+")
_SECRET_PARAMETER = re.compile(
    r"(?i)((?:^|[?&;\s])[a-z_\-]*(?:token|secret|password|passwd|api[_\-]?key|"
    r"authorization|signature|credential)[a-z_\-]*=)[^&;\s#]+"
)


def redact_text(text: str) -> str:
    """`text` with every token, bearer credential and secret parameter value removed."""
    text = _redact_value(text)
    if "=" in text:
        text = _SECRET_PARAMETER.sub(r"\1" + REDACTED, text)
    return text


def is_secret_name(key: Any) -> bool:
    """`password`, and URN-qualified names ending in one (`urn:...:User:password`)."""
    return isinstance(key, str) and key.rsplit(":", 1)[-1].strip().lower() in SECRET_NAMES


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret removed: secret-named members, a PATCH
    operation's value whose path (any case, URN-qualified or not) is a secret, and
    token-shaped text anywhere, keys included."""
    if isinstance(value, dict):
        path = next(
            (v for k, v in value.items() if isinstance(k, str) and k.lower() == "path"), None
        )
        out = {}
        for k, v in value.items():
            key = redact_text(k) if isinstance(k, str) else k
            if is_secret_name(k) or (
                isinstance(k, str) and k.lower() == "value" and is_secret_name(path)
            ):
                out[key] = REDACTED
            else:
                out[key] = redact(v)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _redact_value(value)
    return value


def _redact_value(text: str) -> str:
    # Values are most of a body: look for the token prefix and `bearer` only (a value
    # is not a query string).
    lowered = text.lower()
    if "rstr_" in lowered:
        text = _TOKEN.sub(REDACTED, text)
    if "bearer" in lowered:
        text = _BEARER.sub(r"\1" + REDACTED, text)
    return text
