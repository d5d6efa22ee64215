"""A person's attributes as people read them: the console's person page and its edit
form (and the CLI's `roster person set`) list what the registry stores, in the
registry's order, under each attribute's label, with who owns it and whether an admin
may change it. Nothing here lists attributes itself: an attribute added to the
registry appears on the page and in the form with no other code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from roster.model.registry import Attribute, Owner, UserSchemas, ValueFormat

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def words(name: str) -> str:
    """An attribute's name in words: "costCenter" -> "Cost center", "externalId" ->
    "External id", "preferredLanguage" -> "Preferred language"."""
    parts = [p.lower() if not p.isupper() or len(p) == 1 else p for p in _WORD.findall(name)]
    text = " ".join(parts) or name
    return text[:1].upper() + text[1:]


def label(attr: Attribute) -> str:
    return attr.label or words(attr.name)


@dataclass(frozen=True)
class ProfileField:
    label: str
    field: str  # the domain field, or "custom:<name>"
    kind: str  # the registry's kind, or a custom attribute's type
    owner: Owner  # who changes it while SCIM is on
    note: str = ""
    # The attribute's SCIM name ("title", "name.givenName", "emails" for the primary
    # email, "manager"), which the CLI accepts beside the field and the label.
    name: str = ""
    # An admin may set it (SCIM off; only Roster's own while SCIM is on). Not the ids and
    # times Roster assigns.
    editable: bool = False
    max_length: int | None = None
    value_format: ValueFormat = ""
    required: bool = False


def _editable(attr: Attribute) -> bool:
    # readWrite: what an identity provider (or, without one, an admin) writes; a value
    # Roster ignores on input is Roster's own to set (timezone).
    return attr.mutability == "readWrite" or attr.ignored_on_input


def _of(attr: Attribute) -> list[ProfileField]:
    if attr.mutability == "writeOnly" or (attr.kind == "complex" and not attr.sub_attributes):
        return []
    if attr.kind != "complex":
        if attr.field is None or attr.field.startswith("custom:"):
            return []
        return [
            ProfileField(
                label(attr),
                attr.field,
                attr.kind,
                attr.owner,
                name=attr.name,
                editable=_editable(attr),
                max_length=attr.max_length,
                value_format=attr.value_format,
                required=attr.required,
            )
        ]
    out = []
    for sub in attr.sub_attributes:
        if sub.field is None:
            continue
        # A multi-valued attribute's value (the primary email) or a single complex
        # attribute's reference (the manager) stands for the attribute itself.
        stands_for = sub.name == "value"
        named = sub.label or (words(attr.name).rstrip("s") if stands_for else label(sub))
        out.append(
            ProfileField(
                named,
                sub.field,
                sub.kind,
                attr.owner,
                name=attr.name if stands_for else f"{attr.name}.{sub.name}",
                editable=_editable(attr) and _editable(sub),
                max_length=sub.max_length,
                value_format=sub.value_format,
            )
        )
    return out


def profile_fields(schemas: UserSchemas) -> tuple[ProfileField, ...]:
    fields = [f for schema in schemas.all for attr in schema.attributes for f in _of(attr)]
    fields += [
        ProfileField(
            c.name,
            f"custom:{c.name}",
            c.type,
            "identity provider",
            f"custom · {c.type}",
            name=c.name,
            editable=True,
        )
        for c in schemas.custom
    ]
    return tuple(fields)
