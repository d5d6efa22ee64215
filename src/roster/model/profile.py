"""A person's attributes as people read them: the console's person page (and the edit
form to come) lists what the registry stores, in the registry's order, under each
attribute's label, with who owns it. Nothing here lists attributes itself: an
attribute added to the registry appears on the page with no other code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from roster.model.registry import Attribute, UserSchemas

Owner = Literal["identity provider", "Roster"]

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


def _owner(attr: Attribute) -> Owner:
    roster_owns = attr.ignored_on_input or attr.mutability == "readOnly"
    return "Roster" if roster_owns else "identity provider"


def _of(attr: Attribute) -> list[ProfileField]:
    if attr.mutability == "writeOnly" or (attr.kind == "complex" and not attr.sub_attributes):
        return []
    if attr.kind != "complex":
        if attr.field is None or attr.field.startswith("custom:"):
            return []
        return [ProfileField(label(attr), attr.field, attr.kind, _owner(attr))]
    out = []
    for sub in attr.sub_attributes:
        if sub.field is None:
            continue
        # A multi-valued attribute's value (the primary email) or a single complex
        # attribute's reference (the manager) stands for the attribute itself.
        named = sub.label or (words(attr.name).rstrip("s") if sub.name == "value" else label(sub))
        out.append(ProfileField(named, sub.field, sub.kind, _owner(attr)))
    return out


def profile_fields(schemas: UserSchemas) -> tuple[ProfileField, ...]:
    fields = [f for schema in schemas.all for attr in schema.attributes for f in _of(attr)]
    fields += [
        ProfileField(c.name, f"custom:{c.name}", c.type, "identity provider", f"custom · {c.type}")
        for c in schemas.custom
    ]
    return tuple(fields)
