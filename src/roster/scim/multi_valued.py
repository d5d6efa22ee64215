"""The core User's complex multi-valued attributes that Roster keeps as sent (addresses,
ims, photos, entitlements, roles, x509Certificates; decision 0017): read from a User
document by their registry entries, checked, and rendered back.

Emails and phone numbers are users.py's (they feed the person's email and uniqueness
rules); these have no rule beyond their shape, so one reader serves them all: each
value an object of the attribute's sub-attributes (names put in the registry's
spelling), each text within its length, at most one primary (an earlier one becomes
false), and a sub-attribute that the schema lacks noted as not kept.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from roster.model.person import not_kept
from roster.model.registry import MAX_VALUES, USER_SCHEMA, Attribute, kept_lists
from roster.model.values import as_text
from roster.scim.errors import invalid_value

KEPT_LISTS = kept_lists(USER_SCHEMA.attributes)
KEPT_NAMES = frozenset(a.name.lower() for a in KEPT_LISTS)


def _binary(value: Any, where: str, max_length: int) -> str | None:
    text = as_text(value, where, max_length)
    if text is None:
        return None
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_value(f"{where} must be base64 (a DER-encoded certificate)") from None
    return text


def _sub_value(sub: Attribute, value: Any, where: str) -> Any:
    if sub.kind == "boolean":
        if value is None:
            return None
        if not isinstance(value, bool):  # Entra's "True" is rewritten by its dialect
            raise invalid_value(f"{where} must be true or false, got {value!r}")
        return value  # false kept as sent: an identity provider reads back what it wrote
    if sub.kind == "binary":
        return _binary(value, where, sub.max_length or 0)
    return as_text(value, where, sub.max_length or 0)


def _values(attr: Attribute, raw: Any, notes: list[str]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [raw]  # a single value where an array belongs: accepted, as for emails
    if not isinstance(raw, list):
        raise invalid_value(f"{attr.name} must be an array of objects")
    if len(raw) > MAX_VALUES:
        raise invalid_value(f"{attr.name} has {len(raw)} values; at most {MAX_VALUES} are kept")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"{attr.name}[{i}]"
        if not isinstance(item, dict):
            raise invalid_value(f"{where} must be an object of {_names(attr)}")
        entry: dict[str, Any] = {}
        for key, value in item.items():
            sub = attr.sub(key) if isinstance(key, str) else None
            if sub is None:
                note = not_kept(f"{attr.name}.{key}", f"{attr.name} has no {key}")
                if value is not None and note not in notes:
                    notes.append(note)
                continue
            kept = _sub_value(sub, value, f"{where}.{sub.name}")
            if kept is not None:
                entry[sub.name] = kept
        if any(k != "primary" for k in entry):
            out.append(entry)
    primaries = [e for e in out if e.get("primary")]
    for extra in primaries[:-1]:  # a newly added primary replaces the old (RFC 7644 §3.5.2)
        extra["primary"] = False
    return out


def _names(attr: Attribute) -> str:
    return ", ".join(s.name for s in attr.sub_attributes)


def parse_kept_lists(top: dict[str, Any], notes: list[str]) -> dict[str, Any] | None:
    """The kept multi-valued attributes of a User document (`top`: its keys lowercased)
    -> {attribute name: [values]}, or None when it has none."""
    kept: dict[str, Any] = {}
    for attr in KEPT_LISTS:
        values = _values(attr, top.get(attr.name.lower()), notes)
        if values:
            kept[attr.name] = values
    return kept or None


def render_kept_lists(doc: dict[str, Any], kept: Any, *, for_patch: bool) -> None:
    """The person's kept multi-valued attributes into their SCIM document, in registry
    order; for a PATCH, copies (it edits the document in place)."""
    if not kept:
        return
    for attr in KEPT_LISTS:
        values = kept.get(attr.name)
        if values:
            doc[attr.name] = [dict(v) for v in values] if for_patch else values
