"""Microsoft Entra ID's dialect, replayed from its recorded request shapes (tests/idp/entra)."""

from __future__ import annotations

from typing import Any

import pytest

from roster.directory import tombstones
from roster.directory.people import Actor
from tests.support.harness import Company
from tests.support.users import (
    ENTERPRISE,
    FIFTEEN_FIVE,
    assert_scim_error,
    audit_events,
    company_ext,
    create,
    create_named,
    enterprise,
    get,
    payload,
    search,
    set_settings,
    stored,
)

ENTRA_HEADERS = {"Content-Type": "application/scim+json", "User-Agent": "Azure AD SCIM"}


def entra_patch(company: Company, user_id: str, name: str, **fill: str) -> dict[str, Any]:
    r = company.client.patch(
        f"/Users/{user_id}", json=payload("entra", name, **fill), headers=ENTRA_HEADERS
    )
    assert r.status_code == 200, r.text
    user: dict[str, Any] = r.json()
    return user


def entra_user(company: Company) -> dict[str, Any]:
    return create(company, payload("entra", "create_user"))


def test_create_with_entras_body(company: Company) -> None:
    body = payload("entra", "create_user")
    r = company.client.post("/Users", json=body, headers=ENTRA_HEADERS)
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["userName"] == body["userName"]
    assert user["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert user["name"] == body["name"]
    assert user["emails"] == body["emails"][:1] and user["emails"][0]["primary"] is True
    assert "roles" not in user
    assert user["meta"]["resourceType"] == "User" and user["meta"]["created"]


def test_create_with_15five_extension_and_mmddyyyy_date(company: Company) -> None:
    user = create(company, payload("entra", "create_user_15five"))
    assert company_ext(user)["startDate"] == "2026-07-01"
    assert enterprise(user) == {"employeeNumber": "4471", "department": "Retail"}
    assert user["title"] == "Retail Manager"


def test_capitalised_replace_with_filtered_email_path(company: Company) -> None:
    user = entra_user(company)
    after = entra_patch(company, user["id"], "patch_update_user")
    assert after["name"]["familyName"] == "updatedFamilyName"
    assert after["name"]["givenName"] == "givenName"
    assert after["emails"] == [
        {"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}
    ]
    # The primary email is what lookups and uniqueness use.
    found = search(company, {"filter": 'emails.value eq "UPDATEDEMAIL@microsoft.com"'})
    assert [u["id"] for u in found["Resources"]] == [user["id"]]


def test_replace_user_name(company: Company) -> None:
    user = entra_user(company)
    after = entra_patch(company, user["id"], "patch_username")
    assert after["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    assert after["id"] == user["id"]


def test_replace_multiple_without_and_with_the_compliance_flag(company: Company) -> None:
    user = entra_user(company)
    after = entra_patch(company, user["id"], "patch_replace_multiple")
    assert after["displayName"] == "Pvlo"
    assert after["emails"][0]["value"] == "TestBcwqnm@test.microsoft.com"
    assert after["name"]["givenName"] == "Gtfd" and after["name"]["familyName"] == "Pkqf"
    assert after["externalId"] == "Eqpj"
    assert enterprise(after)["employeeNumber"] == "Eqpj"
    after = entra_patch(company, user["id"], "patch_replace_multiple_flag")
    assert after["displayName"] == "Bjfe"
    assert after["emails"] == [
        {"value": "TestMhvaes@test.microsoft.com", "type": "work", "primary": True}
    ]
    assert after["name"]["givenName"] == "Kkom" and after["name"]["familyName"] == "Unua"
    assert enterprise(after)["employeeNumber"] == "Aklq"


def test_filtered_email_path_creates_the_work_email_when_missing(company: Company) -> None:
    body = payload("entra", "create_user")
    body.pop("emails")
    user = create(company, body)
    assert "emails" not in user
    after = entra_patch(company, user["id"], "patch_update_user")
    assert after["emails"] == [
        {"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}
    ]


def test_filtered_paths_for_phones_and_addresses(company: Company) -> None:
    user = entra_user(company)
    r = company.client.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "Add",
                    "path": 'phoneNumbers[type eq "work"].value',
                    "value": "+1 425 555 0101",
                },
                {
                    "op": "Add",
                    "path": 'phoneNumbers[type eq "mobile"].value',
                    "value": "+1 425 555 0102",
                },
                {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Redmond"},
                {"op": "Replace", "path": "name.formatted", "value": "Given Family"},
            ],
        },
        headers=ENTRA_HEADERS,
    )
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["phoneNumbers"] == [
        {"value": "+1 425 555 0101", "type": "work"},
        {"value": "+1 425 555 0102", "type": "mobile"},
    ]
    assert after["addresses"] == [{"type": "work", "locality": "Redmond"}]
    assert get(company, user["id"])["addresses"] == after["addresses"]
    assert after["name"]["formatted"] == "Given Family"
    after = entra_patch_ops(
        company,
        user["id"],
        {"op": "Remove", "path": 'phoneNumbers[type eq "work"]'},
        {"op": "Replace", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 0"},
    )
    assert after["phoneNumbers"] == [{"value": "+1 0", "type": "mobile"}]


def entra_patch_ops(company: Company, user_id: str, *ops: dict[str, Any]) -> dict[str, Any]:
    r = company.client.patch(
        f"/Users/{user_id}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": list(ops),
        },
        headers=ENTRA_HEADERS,
    )
    assert r.status_code == 200, r.text
    user: dict[str, Any] = r.json()
    return user


@pytest.mark.parametrize("disable", ["disable_user", "disable_user_flag"])
def test_disable_with_string_and_json_booleans(company: Company, disable: str) -> None:
    user = entra_user(company)
    after = entra_patch(company, user["id"], disable)
    assert after["active"] is False and after["id"] == user["id"]
    assert get(company, user["id"])["active"] is False
    after = entra_patch(company, user["id"], "enable_user")
    assert after["active"] is True and after["id"] == user["id"]


def test_string_booleans_in_create_and_emails(company: Company) -> None:
    body = payload("entra", "create_user")
    body["active"] = "False"
    body["emails"][0]["primary"] = "True"
    user = create(company, body)
    assert user["active"] is False
    assert user["emails"][0]["primary"] is True
    r = company.client.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "Yes"}],
        },
    )
    assert "active" in assert_scim_error(r, 400, "invalidValue")["detail"]


def test_add_of_nickname_is_kept(company: Company) -> None:
    user = entra_user(company)
    after = entra_patch(company, user["id"], "add_nickname")
    sent = payload("entra", "add_nickname")["Operations"][0]["value"]
    assert after["nickName"] == sent
    assert after["meta"]["version"] != user["meta"]["version"]
    assert get(company, user["id"])["nickName"] == sent


def test_add_of_an_unknown_attribute_is_accepted_and_noted(company: Company) -> None:
    user = entra_user(company)
    unknown = {"op": "Add", "path": "favoriteColor", "value": "green"}
    after = entra_patch_ops(company, user["id"], unknown)
    assert "favoriteColor" not in after
    assert after["meta"]["version"] == user["meta"]["version"]  # nothing was written
    # ... but the note is recorded, with a real change or without one.
    notes = " ".join(audit_events(company, user["id"])[0]["notes"] or [])
    assert "not kept: favoriteColor" in notes
    after = entra_patch_ops(
        company, user["id"], unknown, {"op": "Add", "path": "title", "value": "Buyer"}
    )
    assert after["title"] == "Buyer" and "favoriteColor" not in after
    notes = " ".join(audit_events(company, user["id"])[0]["notes"] or [])
    assert "not kept: favoriteColor" in notes


def test_manager_as_urn_path_with_bare_string(company: Company) -> None:
    boss = create_named(company, "boss@contoso.com", given="Megan", family="Bowen")
    user = entra_user(company)
    after = entra_patch(company, user["id"], "add_manager", manager=boss["id"])
    manager = enterprise(after)["manager"]
    assert manager["value"] == boss["id"]
    assert manager["displayName"] == "Megan Bowen"
    # Entra may also reference the manager by email (15Five's resolution order).
    other = create_named(company, "other.boss@contoso.com")
    after = entra_patch(company, user["id"], "add_manager", manager="Other.Boss@contoso.com")
    assert enterprise(after)["manager"]["value"] == other["id"]
    after = entra_patch(company, user["id"], "remove_manager")
    assert "manager" not in enterprise(after)
    assert stored(company, user["id"])["manager_id"] is None


def test_manager_value_subpath_and_object_value(company: Company) -> None:
    boss = create_named(company, "boss@contoso.com")
    user = entra_user(company)
    r = company.client.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": f"{ENTERPRISE}:manager.value", "value": boss["id"]}
            ],
        },
    )
    assert r.status_code == 200, r.text
    assert enterprise(r.json())["manager"]["value"] == boss["id"]
    r = company.client.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": ""}}],
        },
    )
    assert r.status_code == 200, r.text
    assert "manager" not in enterprise(r.json())


def test_start_date_under_the_15five_urn_path(company: Company) -> None:
    user = entra_user(company)
    after = entra_patch(company, user["id"], "add_start_date")
    assert company_ext(after)["startDate"] == "2026-09-30"
    r = company.client.patch(
        f"/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Add", "path": f"{FIFTEEN_FIVE}:startDate", "value": "30/09/2026"}
            ],
        },
    )
    assert "startDate" in assert_scim_error(r, 400, "invalidValue")["detail"]


def test_lookups_by_user_name_external_id_and_work_email(company: Company) -> None:
    user = entra_user(company)
    create_named(company, "someone.else@contoso.com")
    queries = payload(
        "entra",
        "queries",
        user_name=user["userName"],
        external_id=user["externalId"],
        email=user["emails"][0]["value"],
    )
    for key in ("by_user_name", "by_external_id"):
        found = search(company, queries[key])
        assert [u["id"] for u in found["Resources"]] == [user["id"]], key
    # The same lookup by email in RFC 7644 form.
    found = search(company, {"filter": f'emails[value eq "{user["emails"][0]["value"]}"]'})
    assert [u["id"] for u in found["Resources"]] == [user["id"]]
    # Microsoft's validator form (a sub-attribute after the brackets) is outside the RFC
    # grammar and an email's type is not stored for filtering: a clean 400, not a 500.
    r = company.client.get(f"/Users?{queries['by_work_email']}")
    assert_scim_error(r, 400, "invalidFilter")
    # externalId is caseExact: another case is another IdP object.
    upper = search(company, {"filter": f'externalId eq "{user["externalId"].upper()}"'})
    assert upper["totalResults"] == 0
    missing = search(company, {"filter": 'externalId eq "non-existent user"'})
    assert missing["totalResults"] == 0 and missing["Resources"] == []


def test_excluded_attributes(company: Company) -> None:
    user = entra_user(company)
    body = get(company, user["id"], excludedAttributes="groups")
    assert "groups" not in body and body["userName"] == user["userName"]
    body = get(company, user["id"], excludedAttributes="emails,name,meta")
    assert not {"emails", "name", "meta"} & set(body)
    assert body["id"] == user["id"] and body["schemas"]
    listed = search(
        company,
        payload("entra", "queries", user_name="", external_id="", email="")["get_excluding_groups"],
    )
    assert listed["totalResults"] == 1
    assert "groups" not in listed["Resources"][0]


def test_delete_makes_a_tombstone(company: Company) -> None:
    user = entra_user(company)
    r = company.client.delete(f"/Users/{user['id']}", headers={"User-Agent": "Azure AD SCIM"})
    assert r.status_code == 204 and r.content == b""
    assert_scim_error(company.client.get(f"/Users/{user['id']}"), 404)
    assert_scim_error(company.client.delete(f"/Users/{user['id']}"), 404)
    assert_scim_error(
        company.client.patch(f"/Users/{user['id']}", json=payload("entra", "enable_user")), 404
    )
    assert search(company, {"filter": f'userName eq "{user["userName"]}"'})["totalResults"] == 0
    assert search(company, "startIndex=1&count=100")["totalResults"] == 0
    # The data is kept, and the tombstone is in the audit trail.
    kept = stored(company, user["id"])
    assert kept["deleted_at"] is not None
    assert kept["user_name"] == user["userName"]
    assert audit_events(company, user["id"])[0]["action"] == "person.delete"
    # An admin can restore it, under the same id.
    restored = company.call(
        lambda db: tombstones.restore_person(db, company.tenant, user["id"], actor=Actor("cli"))
    )
    assert restored["id"] == user["id"]
    assert get(company, user["id"])["userName"] == user["userName"]


def test_deleted_user_name_can_be_provisioned_again(company: Company) -> None:
    user = entra_user(company)
    assert company.client.delete(f"/Users/{user['id']}").status_code == 204
    again = create(company, payload("entra", "create_user"))
    assert again["id"] != user["id"]
    # The old one cannot be restored over the new holder.
    from roster.model.errors import DirectoryError

    with pytest.raises(DirectoryError) as exc:
        company.call(
            lambda db: tombstones.restore_person(db, company.tenant, user["id"], actor=Actor("cli"))
        )
    assert exc.value.kind == "conflict" and again["id"] in exc.value.message


@pytest.mark.parametrize("reassign", [True, False])
def test_delete_of_a_manager_moves_or_clears_reports(company: Company, reassign: bool) -> None:
    top = create_named(company, "top@contoso.com")
    boss = create(company, payload("entra", "create_user"))
    entra_patch(company, boss["id"], "add_manager", manager=top["id"])
    report = create_named(company, "report@contoso.com")
    entra_patch(company, report["id"], "add_manager", manager=boss["id"])
    set_settings(company, reassign_reporters=reassign)
    assert company.client.delete(f"/Users/{boss['id']}").status_code == 204
    manager = enterprise(get(company, report["id"])).get("manager")
    if reassign:
        assert manager is not None and manager["value"] == top["id"]
    else:
        assert manager is None
