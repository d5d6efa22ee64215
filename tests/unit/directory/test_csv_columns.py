"""The CSV import's fast row reader (directory/csv_columns.py) reads a row exactly as
the SCIM parser reads the same values sent as a User."""

from __future__ import annotations

from typing import Any


def test_the_fast_row_reader_agrees_with_the_scim_parser() -> None:
    from roster.directory.csv_columns import RowReader, map_headers
    from roster.model.registry import CustomAttribute, UserSchemas

    schemas = UserSchemas(
        "urn:ietf:params:scim:schemas:extension:15Five:2.0:User",
        (CustomAttribute("customLevel", "number"), CustomAttribute("customRemote", "boolean")),
    )
    headers = [
        "Email",
        "userName",
        "First name",
        "familyName",
        "middleName",
        "displayName",
        "title",
        "locale",
        "externalId",
        "employeeNumber",
        "department",
        "costCenter",
        "division",
        "organization",
        "startDate",
        "hireDate",
        "terminationDate",
        "location",
        "active",
        "customLevel",
        "customRemote",
        "manager",
    ]
    mapping = map_headers(headers, schemas)
    reader = RowReader(mapping, schemas)
    rows = [
        [
            "a@x.example",
            "",
            "Ann",
            "Lee",
            "",
            "",
            "CTO",
            "en-US",
            "00u1",
            "E1",
            "R&D",
            "CC1",
            "Div",
            "Org",
            "2026-01-05",
            "01/31/2020",
            "",
            " , Austin, TX, , US",
            "yes",
            "3",
            "no",
            "E9",
        ],
        [
            "B@X.example",
            "bee",
            "",
            "",
            "M",
            "Bee B",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "2026-02-01T10:00:00Z",
            "",
            "",
            "2.5",
            "true",
            "",
        ],
        ["c@x.example"] + [""] * 21,
    ]
    for cells in rows:
        read = reader.read(cells)
        assert not isinstance(read, str), read
        by_column = {c: cells[i].strip() for i, c in mapping.by_index.items() if cells[i].strip()}
        assert read.values == reference_values(by_column, schemas)
    for bad, message in (
        (["not-an-email"] + [""] * 21, "not an email address"),
        (["d@x.example"] + [""] * 13 + ["someday"] + [""] * 7, "startDate"),
        (["d@x.example"] + [""] * 18 + ["lots"] + ["", ""], "customLevel"),
        (["d@x.example"] + [""] * 5 + ["x" * 201] + [""] * 15, "longer than 200"),
    ):
        refused = reader.read(bad)
        assert isinstance(refused, str) and message in refused, refused


def _document(cells: dict[Any, str], company_urn: str) -> dict[str, Any]:
    """A CSV row as the SCIM User document an IdP would send for it."""
    from roster.model.registry import ENTERPRISE_USER

    email = next(v for c, v in cells.items() if c.where == "email")
    body: dict[str, Any] = {"emails": [{"value": email, "type": "work", "primary": True}]}
    name: dict[str, Any] = {}
    enterprise: dict[str, Any] = {}
    company: dict[str, Any] = {}
    for column, value in cells.items():
        if column.where == "core":
            body[column.name] = _bool_text(value) if column.kind == "boolean" else value
        elif column.where == "name":
            name[column.name] = value
        elif column.where == "enterprise":
            enterprise[column.name] = value
        elif column.where == "manager":
            enterprise["manager"] = {"value": value}
        elif column.where == "company":
            company[column.name] = _bool_text(value) if column.kind == "boolean" else value
    body.setdefault("userName", email)
    if name:
        body["name"] = name
    if enterprise:
        body[ENTERPRISE_USER] = enterprise
    if company:
        body[company_urn] = company
    return body


def _bool_text(value: str) -> str:
    """A spreadsheet's yes/no as SCIM's true/false (written out here, not taken from the
    reader, so that the reader is compared with an independent reference)."""
    lowered = value.strip().lower()
    if lowered in {"true", "yes", "y", "1", "active"}:
        return "true"
    if lowered in {"false", "no", "n", "0", "inactive", "deactivated"}:
        return "false"
    return value


def reference_values(cells: dict[Any, str], schemas: Any) -> dict[str, Any]:
    """What the SCIM parser makes of a row (the CSV row reader must agree)."""
    from roster.directory.person_values import field_values
    from roster.scim.users import parse_user

    return field_values(parse_user(_document(cells, schemas.company_urn), schemas))
