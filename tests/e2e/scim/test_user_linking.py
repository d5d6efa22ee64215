"""Uniqueness, and people who exist outside SCIM: an email in use names its holder and
the fix; a person made in the console or by CSV is linked by the IdP's first write, not
duplicated; and what the IdP does not write (people from the CLI while SCIM is on,
ignored attributes, the Roster-owned timezone)."""

from __future__ import annotations

from typing import Any

import pytest

from roster.directory import tenants
from tests.support.harness import Company
from tests.support.users import (
    FIFTEEN_FIVE,
    PATCH_OP,
    assert_scim_error,
    audit_events,
    company_ext,
    create,
    create_named,
    create_outside_scim,
    deactivate,
    get,
    okta_user,
    patch,
    patched,
    search,
    set_settings,
    stored,
)


def test_email_in_use_by_deactivated_holder_names_holder_and_fix(company: Company) -> None:
    holder = create_named(company, "sam@example.com")
    deactivate(company, holder["id"])
    body = okta_user("sam.new@example.com", email="sam@example.com")
    err = assert_scim_error(company.client.post("/Users", json=body), 409, "uniqueness")
    assert holder["id"] in err["detail"]
    assert "deactivated" in err["detail"]
    assert "free that deactivated person's email (Free this email" in err["detail"]


def test_email_in_use_by_unlinked_active_person_names_holder_and_fix(company: Company) -> None:
    set_settings(company, link_existing_people=False)
    holder_id = create_outside_scim(company, "pat@example.com")
    err = assert_scim_error(
        company.client.post("/Users", json=okta_user("pat@example.com")), 409, "uniqueness"
    )
    assert holder_id in err["detail"]
    assert "active" in err["detail"]
    assert "assign them in the identity provider with exactly this email" in err["detail"]


def test_email_conflict_on_update_is_409(company: Company) -> None:
    create_named(company, "taken@example.com")
    other = create_named(company, "other@example.com")
    r = patch(
        company,
        other["id"],
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "TAKEN@example.com"},
    )
    assert_scim_error(r, 409, "uniqueness")
    r = patch(
        company, other["id"], {"op": "replace", "path": "userName", "value": "Taken@Example.com"}
    )
    assert_scim_error(r, 409, "uniqueness")
    assert get(company, other["id"])["userName"] == "other@example.com"


def test_person_created_outside_scim_is_found_and_linked_on_create(company: Company) -> None:
    existing_id = create_outside_scim(
        company, "lee@example.com", given="Lee", family="Old", title="Founder"
    )
    assert stored(company, existing_id)["idp_linked_at"] is None
    # Okta's lookup finds them, with a real id.
    found = search(company, {"filter": 'userName eq "LEE@example.com"'})
    assert [u["id"] for u in found["Resources"]] == [existing_id]
    # Okta POSTs anyway (its lookup was by another attribute): linked, not duplicated.
    r = company.client.post("/Users", json=okta_user("lee@example.com", "Lee", "New"))
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["id"] == existing_id
    assert user["name"]["familyName"] == "New"  # what the IdP sent
    assert user["title"] == "Founder"  # what it did not send is kept
    assert user["externalId"]
    assert stored(company, existing_id)["idp_linked_at"] is not None
    assert search(company, {"filter": "userName pr"})["totalResults"] == 1
    assert audit_events(company, existing_id)[0]["action"] == "person.link"
    # Linked now: a second create is a conflict, not another link.
    r = company.client.post("/Users", json=okta_user("lee@example.com", "Lee", "New"))
    assert_scim_error(r, 409, "uniqueness")


def test_person_created_outside_scim_keeps_custom_attributes_on_link(company: Company) -> None:
    company.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customTeam", "string")
    )
    company.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customDesk", "string")
    )
    company.refresh()
    existing_id = create_outside_scim(
        company, "kim@example.com", **{FIFTEEN_FIVE: {"customTeam": "Blue", "customDesk": "4F"}}
    )
    body = okta_user("kim@example.com")
    body[FIFTEEN_FIVE] = {"customTeam": "Red"}
    user = create(company, body)
    assert user["id"] == existing_id
    assert company_ext(user) == {"customTeam": "Red", "customDesk": "4F"}


def test_person_outside_scim_linked_by_first_idp_write(company: Company) -> None:
    existing_id = create_outside_scim(company, "jo@example.com")
    body = get(company, existing_id)
    body["externalId"] = "00ujo"
    r = company.client.put(f"/Users/{existing_id}", json=body)
    assert r.status_code == 200
    assert stored(company, existing_id)["idp_linked_at"] is not None


def test_a_write_without_external_id_does_not_link(company: Company) -> None:
    existing_id = create_outside_scim(company, "ann@example.com")
    r = company.client.patch(
        f"/Users/{existing_id}",
        json={"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"title": "CTO"}}]},
    )
    assert r.status_code == 200 and r.json()["title"] == "CTO"
    assert stored(company, existing_id)["idp_linked_at"] is None
    r = company.client.patch(
        f"/Users/{existing_id}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "externalId", "value": "00uann"}],
        },
    )
    assert r.status_code == 200
    assert stored(company, existing_id)["idp_linked_at"] is not None


def test_ignored_attributes_are_noted_even_when_nothing_changes(company: Company) -> None:
    user = create(company, okta_user("noted@example.com"))
    body = get(company, user["id"])
    body["favoriteColor"] = "green"
    before = len(audit_events(company, user["id"]))
    r = company.client.put(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200 and r.json()["meta"]["version"] == user["meta"]["version"]
    events = audit_events(company, user["id"])
    assert len(events) == before + 1
    assert any(note.startswith("not kept: favoriteColor") for note in events[0]["notes"])


def test_cli_cannot_create_people_while_scim_is_on(company: Company) -> None:
    from roster.directory import people
    from roster.directory.people import Actor
    from roster.model.errors import DirectoryError
    from roster.model.registry import UserSchemas
    from roster.scim.users import parse_user

    data = parse_user({"userName": "x@example.com"}, UserSchemas(FIFTEEN_FIVE))
    with pytest.raises(DirectoryError) as exc:
        company.call(
            lambda db: people.create_person(
                db, company.tenant, data, actor=Actor("cli"), source="cli"
            )
        )
    assert exc.value.kind == "forbidden"


def test_timezone_is_roster_owned(company: Company) -> None:
    user = create_named(company, "tz@example.com", timezone="Europe/Paris")
    assert stored(company, user["id"])["timezone"] is None

    async def set_tz(db: Any) -> None:
        import sqlalchemy as sa

        from roster.store.tables import people

        async with db.write() as conn:
            await conn.execute(
                sa.update(people)
                .where(people.c.tenant_id == company.tenant.id, people.c.id == user["id"])
                .values(timezone="Asia/Tokyo")
            )

    company.call(set_tz)
    shown = get(company, user["id"])
    assert shown["timezone"] == "Asia/Tokyo"
    shown["timezone"] = "UTC"
    r = company.client.put(f"/Users/{user['id']}", json=shown)
    assert r.status_code == 200 and r.json()["timezone"] == "Asia/Tokyo"
    after = patched(company, user["id"], {"op": "replace", "path": "timezone", "value": "UTC"})
    assert after["timezone"] == "Asia/Tokyo"
    after = patched(company, user["id"], {"op": "remove", "path": "timezone"})
    assert after["timezone"] == "Asia/Tokyo"
