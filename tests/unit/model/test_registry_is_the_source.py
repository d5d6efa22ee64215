"""The attribute registry is the one source: an attribute added to it (with its column,
which a migration adds) is described in /Schemas, filterable, rendered, projected,
read from CSV and shown on the console's person page with no other code. The new
attribute here is injected into a copy of the enterprise schema, so the test fails if
any of those places lists fields itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from roster.console.pages.people import attribute_rows
from roster.console.web import env as console_templates
from roster.directory.csv_columns import RowReader, columns, map_headers
from roster.model.person_edit import field_named, read_edit
from roster.model.profile import profile_fields
from roster.model.query import FieldCompare
from roster.model.registry import (
    ENTERPRISE_SCHEMA,
    ENTERPRISE_USER,
    Attribute,
    UserSchemas,
)
from roster.scim.documents import Projection
from roster.scim.filters import parse_filter, resolve
from roster.scim.users import render_user
from roster.store import people as people_store

URN = "urn:example:company"
BADGE = Attribute(
    name="badgeNumber",
    field="badge_number",
    max_length=40,
    filterable=True,
    description="The number on the person's badge.",
)


def _schemas() -> UserSchemas:
    enterprise = replace(ENTERPRISE_SCHEMA, attributes=(*ENTERPRISE_SCHEMA.attributes, BADGE))
    return UserSchemas(URN, enterprise=enterprise)


def _person(**fields: Any) -> dict[str, Any]:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    return {
        "id": "u1",
        "user_name": "ada@example.com",
        "active": True,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        **fields,
    }


def test_a_new_attribute_is_described_in_schemas() -> None:
    described = _schemas().enterprise.describe("https://roster.example/scim/v2")
    (badge,) = [a for a in described["attributes"] if a["name"] == "badgeNumber"]
    assert badge["description"] == "The number on the person's badge."


def test_a_new_attribute_is_rendered_and_projected() -> None:
    schemas = _schemas()
    doc = render_user(_person(badge_number="B-7"), base_url="https://r.example", schemas=schemas)
    assert doc[ENTERPRISE_USER]["badgeNumber"] == "B-7"
    only = Projection(f"{ENTERPRISE_USER}:badgeNumber", None, "core").apply(doc)
    assert only[ENTERPRISE_USER] == {"badgeNumber": "B-7"}
    assert "userName" not in only
    without = Projection(None, f"{ENTERPRISE_USER}:badgeNumber", "core").apply(doc)
    assert "badgeNumber" not in without.get(ENTERPRISE_USER, {})


def test_a_new_attribute_is_filterable() -> None:
    schemas = _schemas()
    resolved = resolve(
        parse_filter('badgeNumber eq "B-7"'),
        lambda path: schemas.find(path.urn, path.attr, path.sub),
    )
    assert isinstance(resolved, FieldCompare)
    assert resolved.field.name == "badge_number"
    assert resolved.value == "B-7"


def test_a_new_attribute_is_a_csv_column() -> None:
    schemas = _schemas()
    assert "badgeNumber" in [c.name for c in columns(schemas)]
    mapping = map_headers(["email", "Badge number"], schemas)
    row = RowReader(mapping, schemas).read(["ada@example.com", "B-7"])
    assert not isinstance(row, str), row
    assert row.values["badge_number"] == "B-7"
    assert "badge_number" in row.touched
    too_long = RowReader(mapping, schemas).read(["ada@example.com", "B" * 41])
    assert isinstance(too_long, str) and "badgeNumber" in too_long


def test_every_filterable_stored_attribute_has_its_column() -> None:
    """The other half of "one registry entry plus a migration": what the registry calls
    filterable, the store can compare and sort on."""
    schemas = UserSchemas(URN)
    for schema in schemas.all:
        for attr in schema.stored:
            found = schemas.find(None if schema is schemas.core else schema.id, attr.name, None)
            assert found is not None
            if not found.filterable:
                continue
            text = f"{attr.name} pr"
            resolved = resolve(parse_filter(text), lambda p: schemas.find(p.urn, p.attr, p.sub))
            field = getattr(resolved, "field", None)
            assert field is not None, text
            people_store.column_for(field)
            people_store.sort_column_for(field)


def test_a_new_attribute_is_on_the_console_person_page() -> None:
    rows = attribute_rows(_schemas())
    (badge,) = [f for f in rows if f.field == "badge_number"]
    assert badge.label == "Badge number" and badge.owner == "identity provider"
    macro = console_templates.get_template("people/_attributes.html").module.attributes  # type: ignore[attr-defined]
    html = str(macro(rows, _person(badge_number="B-7", start_date=date(2026, 3, 1))))
    assert "<dt>Badge number</dt>\n  <dd>B-7</dd>" in html
    assert "<dt>Start date</dt>" in html and "—" in html  # empty ones shown as such


def test_a_new_attribute_is_in_the_edit_form() -> None:
    """The edit form and `roster person set` read the same fields: a new attribute is
    editable, with its length and owner, by its SCIM name too."""
    (badge,) = [f for f in profile_fields(_schemas()) if f.field == "badge_number"]
    assert badge.editable and badge.max_length == 40 and badge.name == "badgeNumber"
    edit = read_edit(profile_fields(_schemas()), {"badge_number": "B-7"})
    assert edit.fields == {"badge_number": "B-7"}
    assert field_named(profile_fields(_schemas()), "badgeNumber") == badge
