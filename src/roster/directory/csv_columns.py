"""CSV columns, from the attribute registry (scim/schema.py): every writable User
attribute of the core, enterprise and company schemas, the company's custom
attributes included, plus a few spreadsheet-friendly aliases ("First name")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from roster.scim.schema import ENTERPRISE_USER, Attribute, UserSchemas

# Attributes that are not columns: Roster computes them, or they are lists.
_NOT_COLUMNS = {"id", "password", "emails", "phonenumbers", "groups", "timezone", "meta"}
_COMPANY_NOT_COLUMNS = {"managerid", "manageremail"}
ALIASES = {
    "email": "email",
    "emailaddress": "email",
    "workemail": "email",
    "primaryemail": "email",
    "firstname": "givenName",
    "lastname": "familyName",
    "surname": "familyName",
    "jobtitle": "title",
    "employeeid": "employeeNumber",
    "manageremail": "manager",
    "managerid": "manager",
    "managervalue": "manager",
}


@dataclass(frozen=True)
class Column:
    """Where a CSV column goes in a SCIM User document."""

    name: str  # canonical header, e.g. givenName
    where: str  # core | name | enterprise | company | email | manager
    field: str | None  # the domain field it fills (custom:<name> for custom attributes)
    kind: str = "string"
    description: str = ""


def _normal(header: str) -> str:
    return re.sub(r"[\s_\-.:]", "", header.strip().lower())


def columns(schemas: UserSchemas) -> list[Column]:
    out = [
        Column(
            "email",
            "email",
            "email",
            description="Primary work email. Required; people are matched by it.",
        ),
    ]
    for attr in schemas.core.attributes:
        if attr.name.lower() in _NOT_COLUMNS or attr.mutability == "readOnly":
            continue
        if attr.kind == "complex":
            if attr.name == "name":
                out.extend(_column(sub, "name") for sub in attr.sub_attributes)
            continue
        out.append(_column(attr, "core"))
    for attr in schemas.enterprise.attributes:
        if attr.name == "manager":
            out.append(
                Column(
                    "manager",
                    "manager",
                    "manager_id",
                    description="The manager's email, employee number, Roster user id or SCIM id.",
                )
            )
        else:
            out.append(_column(attr, "enterprise"))
    for attr in schemas.company.attributes:
        if attr.name.lower() in _COMPANY_NOT_COLUMNS:
            continue
        out.append(_column(attr, "company"))
    return out


def _column(attr: Attribute, where: str) -> Column:
    return Column(attr.name, where, attr.field, attr.kind, attr.description)


@dataclass
class HeaderMap:
    by_index: dict[int, Column]
    ignored: list[tuple[str, str]]  # (header, why)
    missing_email: bool


def map_headers(headers: list[str], schemas: UserSchemas) -> HeaderMap:
    known = {_normal(c.name): c for c in columns(schemas)}
    # "name.givenName" and "urn:...:User:employeeNumber" style headers too.
    for c in list(known.values()):
        known.setdefault(_normal(f"name.{c.name}"), c)
        known.setdefault(_normal(f"{ENTERPRISE_USER}:{c.name}"), c)
        known.setdefault(_normal(f"{schemas.company_urn}:{c.name}"), c)
    for alias, target in ALIASES.items():
        if _normal(target) in known:
            known.setdefault(alias, known[_normal(target)])
    by_index: dict[int, Column] = {}
    ignored: list[tuple[str, str]] = []
    taken: dict[str, str] = {}
    for i, header in enumerate(headers):
        key = _normal(header)
        if not key:
            continue
        column = known.get(key)
        if column is None:
            why = (
                "not a custom attribute of this company: define it on the Custom attributes "
                "page first"
                if key.startswith("custom")
                else "not an attribute Roster knows"
            )
            ignored.append((header, why))
        elif column.name in taken:
            ignored.append((header, f"same attribute as column {taken[column.name]!r}"))
        else:
            taken[column.name] = header
            by_index[i] = column
    return HeaderMap(by_index, ignored, "email" not in taken)


def field_labels(schemas: UserSchemas) -> dict[str, str]:
    """Domain field -> the attribute's SCIM name, for showing changes to people."""
    labels = {"user_name": "userName", "email": "email", "manager_id": "manager"}
    labels["manager_pending"] = "manager (pending)"
    for schema in schemas.all:
        for attr in schema.attributes:
            if attr.field and attr.field not in labels:
                labels[attr.field] = attr.name
            for sub in attr.sub_attributes:
                if sub.field and sub.field not in labels:
                    labels[sub.field] = sub.name
    for custom in schemas.custom:
        labels[f"custom:{custom.name}"] = custom.name
    return labels


HIDDEN_FIELDS = {"user_name_lower", "email_lower", "emails", "display_name_lower", "version"}
