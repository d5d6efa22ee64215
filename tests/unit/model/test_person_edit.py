"""An admin's edit read off the registry (model/person_edit.py): each kind by its rule,
every refused field named at once, fields found by SCIM name, field or label, and the
registry's owner deciding what is Roster's."""

from __future__ import annotations

from datetime import date

import pytest

from roster.model.person import UNSET
from roster.model.person_edit import FieldErrors, field_named, freed_address, read_edit
from roster.model.profile import profile_fields
from roster.model.registry import CustomAttribute, UserSchemas

CUSTOM = (CustomAttribute("customBadge", "number"), CustomAttribute("customRemote", "boolean"))
FIELDS = profile_fields(UserSchemas("urn:example:company", CUSTOM))


def test_values_are_read_by_kind() -> None:
    edit = read_edit(
        FIELDS,
        {
            "title": "  Engineer ",
            "start_date": "03/02/2026",
            "custom:customBadge": "42",
            "custom:customRemote": "true",
            "manager_id": "grace@acme.example",
            "department": "",
        },
        CUSTOM,
    )
    assert edit.fields == {"title": "Engineer", "start_date": date(2026, 3, 2), "department": None}
    assert edit.custom == {"customBadge": 42, "customRemote": True}
    assert edit.manager_ref == "grace@acme.example"
    assert read_edit(FIELDS, {"manager_id": " "}).manager_ref is None
    assert read_edit(FIELDS, {"title": "x"}).manager_ref is UNSET


def test_every_refused_field_is_named() -> None:
    with pytest.raises(FieldErrors) as caught:
        read_edit(
            FIELDS,
            {
                "start_date": "2026-13-01",
                "email": "nope",
                "user_name": "",
                "custom:customBadge": "many",
                "id": "x",
                "title": "t" * 201,
            },
            CUSTOM,
        )
    errors = caught.value.errors
    assert set(errors) == {"start_date", "email", "user_name", "custom:customBadge", "id", "title"}
    assert "Start date: '2026-13-01' is not a date" in errors["start_date"]
    assert "Username is required" in errors["user_name"]
    assert errors["id"] == "Id is not a field an admin can change"
    assert "Title is longer than 200 characters" in errors["title"]


def test_fields_are_found_by_scim_name_field_or_label() -> None:
    for name in ("startDate", "start_date", "Start date", "STARTDATE"):
        found = field_named(FIELDS, name)
        assert found is not None and found.field == "start_date"
    assert field_named(FIELDS, "name.givenName").field == "given_name"  # type: ignore[union-attr]
    assert field_named(FIELDS, "manager").field == "manager_id"  # type: ignore[union-attr]
    assert field_named(FIELDS, "custombadge").field == "custom:customBadge"  # type: ignore[union-attr]
    assert field_named(FIELDS, "badge") is None


def test_the_registry_says_who_owns_a_field() -> None:
    owners = {f.field: f.owner for f in FIELDS}
    assert owners["timezone"] == "Roster" and owners["id"] == "Roster"
    assert owners["title"] == owners["manager_id"] == "identity provider"
    editable = {f.field for f in FIELDS if f.editable}
    assert "timezone" in editable and "id" not in editable


def test_a_freed_address_is_the_persons_own_and_undeliverable() -> None:
    assert freed_address("01a2") == "freed+01a2@roster.invalid"
