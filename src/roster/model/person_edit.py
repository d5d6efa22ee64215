"""An admin's edit of a person (the console's edit form, `roster person set`): text as
typed, read field by field by the registry's kinds (model/profile.py) with the value
rules every door shares (model/values.py), into a `PersonEdit` the directory applies.
Every refused field is named with its fix, all of them at once, so a form can show
each error beside its input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from roster.model.errors import DirectoryError, invalid
from roster.model.person import UNSET
from roster.model.profile import ProfileField
from roster.model.registry import CustomAttribute
from roster.model.values import as_bool, as_date, as_email, as_text, custom_value

# Text the registry gives no length (location, timezone) is held to this.
TEXT_MAX = 400

# A freed email: the person's own id at a domain that can never receive mail
# (RFC 2606's .invalid), so no one else can hold it and no identity provider sends it.
FREED_DOMAIN = "roster.invalid"


def freed_address(person_id: str) -> str:
    return f"freed+{person_id}@{FREED_DOMAIN}"


class FieldErrors(DirectoryError):
    """Fields refused by an edit, each with its message (field -> message)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors), None)
        super().__init__("invalid", "; ".join(self.errors.values()), attribute=first)


@dataclass
class PersonEdit:
    """What an admin asks a person's fields to become: domain field -> value (None
    clears), custom attribute -> value, and the manager as a reference (an email,
    employee number, Roster user id or SCIM id; None clears; UNSET leaves it)."""

    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    manager_ref: Any = UNSET
    labels: dict[str, str] = field(default_factory=dict)  # field -> label, for messages


def field_named(fields: Sequence[ProfileField], name: str) -> ProfileField | None:
    """The field a name means: its domain field ("start_date"), its SCIM name
    ("startDate", "name.givenName") or its label ("Start date"), regardless of case."""
    wanted = name.strip().lower()
    for f in fields:
        custom = f.field.removeprefix("custom:")
        if wanted in (f.field.lower(), f.name.lower(), f.label.lower(), custom.lower()):
            return f
    return None


def _value(f: ProfileField, text: str, custom: Mapping[str, CustomAttribute]) -> Any:
    if f.field.startswith("custom:"):
        name = f.field.removeprefix("custom:")
        return custom_value(custom[name.lower()], text, f.label)
    if f.kind == "date":
        return as_date(text, f.label)
    if f.kind == "boolean":
        return None if not text.strip() else as_bool(text, f.label)
    if f.value_format == "email":
        return as_email(text, f.label)
    value = as_text(text, f.label, f.max_length or TEXT_MAX)
    if value is None and f.required:
        raise invalid(f"{f.label} is required; enter one", f.field)
    return value


def read_edit(
    fields: Sequence[ProfileField],
    values: Mapping[str, str],
    custom: Sequence[CustomAttribute] = (),
) -> PersonEdit:
    """The edit `values` (domain field -> text; "" clears) ask for. Only fields an
    admin may edit are read; naming any other is refused, as is a value that breaks
    its field's rule. FieldErrors names them all."""
    by_field = {f.field: f for f in fields}
    by_custom = {c.name.lower(): c for c in custom}
    edit = PersonEdit()
    errors: dict[str, str] = {}
    for key, text in values.items():
        f = by_field.get(key)
        if f is None or not f.editable:
            label = f.label if f else key
            errors[key] = f"{label} is not a field an admin can change"
            continue
        edit.labels[f.field] = f.label
        if f.value_format == "person":
            edit.manager_ref = text.strip() or None
            continue
        try:
            value = _value(f, text, by_custom)
        except DirectoryError as exc:
            errors[key] = exc.message
            continue
        if f.field.startswith("custom:"):
            edit.custom[f.field.removeprefix("custom:")] = value
        else:
            edit.fields[f.field] = value
    if errors:
        raise FieldErrors(errors)
    return edit
