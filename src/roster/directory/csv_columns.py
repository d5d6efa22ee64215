"""CSV columns, from the attribute registry (model/registry.py): every writable User
attribute of the core, enterprise and company schemas, the company's custom
attributes included, plus a few spreadsheet-friendly aliases ("First name")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from roster.model.errors import DirectoryError
from roster.model.person import REPLACEABLE
from roster.model.registry import ENTERPRISE_USER, Attribute, CustomAttribute, UserSchemas
from roster.model.values import as_bool, as_date, as_email, as_text, custom_value, location

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
    max_length: int | None = None  # the registry's, for text columns


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
    return Column(attr.name, where, attr.field, attr.kind, attr.description, attr.max_length)


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


# --- Reading a row -------------------------------------------------------------------
#
# A row could be turned into a SCIM document and read by scim.users.parse_user, and it
# was at first; at 100,000 rows that costs most of the import (the document is built,
# lower-cased and walked for every row). RowReader applies the same value rules
# (model/values.py, each column's field, kind and length from the registry) column by
# column; a test checks that it gives what parse_user gives for the same row.

Converter = Callable[[str], Any]


@dataclass(frozen=True)
class ReadRow:
    email: str
    values: dict[str, Any]  # every REPLACEABLE field, user_name(_lower), email_lower, custom
    touched: frozenset[str]  # the fields this row's non-empty cells set
    manager_ref: str | None


class RowReader:
    def __init__(self, mapping: HeaderMap, schemas: UserSchemas) -> None:
        custom = {c.name.lower(): c for c in schemas.custom}
        self.plan: list[tuple[int, str, str, Converter]] = []  # (index, where, field, convert)
        for index, column in sorted(mapping.by_index.items()):
            self.plan.append((index, column.where, *self._converter(column, custom)))
        self.template: dict[str, Any] = {f: None for f in REPLACEABLE}
        self.template["phone_numbers"] = []

    @staticmethod
    def _converter(column: Column, custom: dict[str, CustomAttribute]) -> tuple[str, Converter]:
        name, key = column.name, column.name.lower()
        if column.where == "email":
            return "email", _email
        if column.where == "manager":
            manager = _text("manager", 320)
            return "manager", lambda v: manager(v).lower()
        if column.field is not None and column.field.startswith("custom:"):
            attr = custom[key]
            prepare = _bool_text if attr.type == "boolean" else str
            return column.field, lambda v: custom_value(attr, prepare(v), name)
        if column.field == "active":
            return "active", lambda v: as_bool(_bool_text(v), "active")
        if column.field == "location":
            return "location", lambda v: _location(v, name)
        if column.field is None:
            raise AssertionError(f"CSV column {name} names no domain field")
        # Every other column is one field of the registry, read by its kind and length.
        if column.kind == "date":
            return column.field, lambda v: as_date(v, name)
        return column.field, _text(name, column.max_length or 320)

    def read(self, cells: list[str]) -> ReadRow | str:
        """The row's values, or why it is rejected."""
        values = dict(self.template)
        custom: dict[str, Any] = {}
        touched: set[str] = set()
        email = ""
        manager = None
        count = len(cells)
        try:
            for index, where, field, convert in self.plan:
                if index >= count:
                    continue
                raw = cells[index].strip()
                if not raw:
                    continue
                value = convert(raw)
                if where == "email":
                    email = value
                elif where == "manager":
                    manager = value
                elif field.startswith("custom:"):
                    if value is not None:
                        custom[field[7:]] = value
                    touched.add(field)
                else:
                    values[field] = value
                    touched.add(field)
        except DirectoryError as exc:
            return exc.message
        if not email:
            return "the email cell is empty"
        user_name = values.pop("user_name", None) or email
        values["user_name"] = user_name
        values["user_name_lower"] = user_name.lower()
        values["email"] = email
        values["email_lower"] = email.lower()
        values["emails"] = [{"value": email, "type": "work", "primary": True}]
        values["custom"] = custom
        return ReadRow(email, values, frozenset(touched), manager)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")  # scim/values.py's rule


def _email(value: str) -> Any:
    if len(value) <= 320 and "\x00" not in value and _EMAIL.match(value):
        return value
    return as_email(value, "email")


def _location(value: str, where: str) -> Any:
    """scim/values.location for a stripped, non-empty cell: empty parts dropped."""
    if len(value) > 400 or "\x00" in value:
        return location(value, where)
    if "," not in value:
        return value
    return ", ".join([part for part in map(str.strip, value.split(",")) if part]) or None


def _text(where: str, size: int) -> Converter:
    """as_text for a stripped, non-empty cell: the common case inline, anything else
    (too long, NUL) through as_text for its error."""

    def convert(value: str) -> Any:
        if len(value) <= size and "\x00" not in value:
            return value
        return as_text(value, where, size)

    return convert


def _bool_text(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "y", "1", "active"):
        return "true"
    if lowered in ("false", "no", "n", "0", "inactive", "deactivated"):
        return "false"
    return value
