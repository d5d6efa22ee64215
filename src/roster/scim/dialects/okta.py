"""Okta's dialect (recorded payloads: tests/idp/okta/, docs/okta.md).

- "Push empty values": Okta sends an unmapped or emptied email or phone number as an
  element with an empty `value` (`{"type": "work", "value": ""}`). RFC 7643 gives a
  multi-valued element no meaning without its value; the element is dropped.

Okta's other habits are RFC-valid and read by the codec as they are: path-less
`replace` of `{"active": false}`; a group rename that repeats the group's `id` (checked
against the URL, never trusted); `members[value eq "<id>"]` removal paths. Its
`location`, built as `String.join(", ", city, state, countryCode)`, is cleaned by the
model's value rule for locations (`model/values.location`), which CSV cells share.
"""

from __future__ import annotations

from typing import Any

from roster.scim.dialects.common import Dialect


def _has_value(element: Any) -> bool:
    if not isinstance(element, dict):
        return True  # not this dialect's shape: the codec says what is wrong
    for key, value in element.items():
        if isinstance(key, str) and key.lower() == "value":
            return not (value is None or (isinstance(value, str) and not value.strip()))
    return False


def drop_empty_values(document: dict[str, Any]) -> dict[str, Any]:
    """emails / phoneNumbers elements without a value are dropped."""
    out: dict[str, Any] | None = None
    for key, value in document.items():
        if not isinstance(key, str) or key.lower() not in ("emails", "phonenumbers"):
            continue
        if isinstance(value, list) and not all(_has_value(e) for e in value):
            out = out if out is not None else dict(document)
            out[key] = [e for e in value if _has_value(e)]
    return document if out is None else out


DIALECT = Dialect("Okta", ("okta",), user=drop_empty_values)
