"""A person as a command asks for it: the fields a full write sets (read off the
registry, with their longest values) and `PersonInput`, what a door hands the
directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roster.model.errors import invalid
from roster.model.registry import (
    COMPANY_BASE_ATTRIBUTES,
    ENTERPRISE_ATTRIBUTES,
    MULTI_VALUED,
    USER_CORE_ATTRIBUTES,
    Attribute,
    CustomAttribute,
)
from roster.model.values import as_email, as_text


def _text_fields(attributes: tuple[Attribute, ...]) -> dict[str, tuple[str, int]]:
    """SCIM name (lowercase) -> (domain field, longest value), for the registry's text
    attributes that a write sets."""
    return {
        a.name.lower(): (a.field, a.max_length)
        for a in attributes
        if a.kind == "string" and a.field and a.max_length and a.mutability == "readWrite"
    }


# The person's fields, read off the registry (model/registry.py), the one source.
CORE_TEXT = {k: v for k, v in _text_fields(USER_CORE_ATTRIBUTES).items() if k != "username"}
_NAME = next(a for a in USER_CORE_ATTRIBUTES if a.name == "name")
NAME_TEXT = _text_fields(_NAME.sub_attributes)
ENTERPRISE_TEXT = _text_fields(ENTERPRISE_ATTRIBUTES)
COMPANY_DATES = {
    a.name.lower(): a.field for a in COMPANY_BASE_ATTRIBUTES if a.kind == "date" and a.field
}
# Fields Roster owns that an admin's edit sets with the rest (SCIM never sends them).
ROSTER_SET = ("timezone",)
# Every field a full replace sets (absent -> cleared); Roster-owned ones are not here.
REPLACEABLE = (
    [f for f, _ in CORE_TEXT.values()]
    + [f for f, _ in NAME_TEXT.values()]
    + [f for f, _ in ENTERPRISE_TEXT.values()]
    + list(COMPANY_DATES.values())
    + ["location", "emails", "email", "phone_numbers", MULTI_VALUED]
)

# How a request's attribute that Roster does not keep is noted in the change's audit
# row (the provisioning log's "What Roster did"); Troubleshooting reads the name back.
NOT_KEPT = "not kept: "
_WHY = " — "
_LONGEST_NAME = 200


def not_kept(name: str, why: str = "it is in no schema Roster knows") -> str:
    """The note for an attribute sent and not kept: `name` as the request spelled it."""
    if len(name) > _LONGEST_NAME:
        name = name[:_LONGEST_NAME] + "…"
    return f"{NOT_KEPT}{name}{_WHY}{why}; map it to a custom attribute to keep it"


def not_kept_name(note: str) -> str | None:
    """The attribute a `not_kept` note names, or None for any other note."""
    if not note.startswith(NOT_KEPT):
        return None
    return note[len(NOT_KEPT) :].partition(_WHY)[0] or None


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass
class PersonInput:
    """What a request asks a person to be. Absent fields of a full replace are None."""

    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    new_custom: list[CustomAttribute] = field(default_factory=list)
    manager_ref: Any = UNSET  # str, None (clear) or UNSET (untouched)
    # Whether the document names a manager at all (even as "" or null to clear it).
    manager_sent: bool = False
    password: str | None = None
    notes: list[str] = field(default_factory=list)
    # An admin's edit (console, CLI): a manager who matches nobody, the person themself
    # or one who reports to them is refused, not left pending or ignored, and manager
    # sync (a setting for the identity provider) does not apply.
    manager_strict: bool = False


def new_person(
    user_name: str,
    *,
    email: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    title: str | None = None,
    employee_number: str | None = None,
) -> PersonInput:
    """A person as the console, the CLI and SSO's sign-in create one: the fields named,
    every other field empty, checked by the rules every door shares (lengths, emails).
    The primary email is the work email."""
    name = as_text(user_name, "userName", 320)
    if name is None:
        raise invalid("userName is required (usually the person's work email)", "userName")
    address = as_email(email, "email") if email else None
    out = PersonInput(fields=dict.fromkeys(REPLACEABLE))
    out.fields.update(
        user_name=name,
        email=address,
        emails=[{"value": address, "type": "work", "primary": True}] if address else [],
        phone_numbers=[],
        given_name=as_text(given_name, "name.givenName", NAME_TEXT["givenname"][1]),
        family_name=as_text(family_name, "name.familyName", NAME_TEXT["familyname"][1]),
        title=as_text(title, "title", CORE_TEXT["title"][1]),
        employee_number=as_text(
            employee_number, "employeeNumber", ENTERPRISE_TEXT["employeenumber"][1]
        ),
    )
    return out
