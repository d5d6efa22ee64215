"""Okta's updates, replayed from its recorded requests (tests/idp/okta): PATCH (path-
less with dotted and URN keys; add, replace and remove; a new primary email; errors
change nothing) and PUT echoing the server's representation (Part 3 #9, #18)."""

from __future__ import annotations

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
    okta_user,
    password_hash,
    patch,
    patched,
    payload,
    search,
    set_settings,
)


def test_pathless_patch_with_dotted_and_urn_keys(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    after = patched(
        company,
        user["id"],
        {
            "op": "replace",
            "value": {
                "name.givenName": "Changed",
                "title": "Lead",
                ENTERPRISE: {"department": "Sales"},
                f"{FIFTEEN_FIVE}:location": "Paris, , FR",
            },
        },
    )
    assert after["name"] == {"givenName": "Changed", "familyName": "User"}
    assert after["title"] == "Lead"
    assert enterprise(after)["department"] == "Sales"
    assert company_ext(after)["location"] == "Paris, FR"


def test_patch_add_replace_remove(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    after = patched(
        company,
        user["id"],
        {"op": "add", "path": "title", "value": "Engineer"},
        {"op": "add", "path": "phoneNumbers", "value": [{"value": "+1 415 555 0100"}]},
        {"op": "replace", "path": "name.familyName", "value": "Person"},
        {"op": "remove", "path": "locale"},
    )
    assert after["title"] == "Engineer"
    assert after["phoneNumbers"] == [{"value": "+1 415 555 0100"}]
    assert after["name"]["familyName"] == "Person"
    assert "locale" not in after
    after = patched(company, user["id"], {"op": "remove", "path": "title"})
    assert "title" not in after


def test_patch_emails_a_new_primary_replaces_the_old(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    after = patched(
        company,
        user["id"],
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "t.u@home.example", "type": "home", "primary": True}],
        },
    )
    assert after["emails"] == [
        {"value": "test.user@okta.local", "type": "work"},
        {"value": "t.u@home.example", "type": "home", "primary": True},
    ]
    # The primary email is what uniqueness and manager references use.
    assert search(company, {"filter": 'emails.value eq "t.u@home.example"'})["totalResults"] == 1
    after = patched(company, user["id"], {"op": "remove", "path": 'emails[type eq "home"]'})
    assert after["emails"] == [{"value": "test.user@okta.local", "type": "work", "primary": True}]
    create_named(company, "t.u@home.example")  # the address is free again


def test_patch_errors_change_nothing(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    r = patch(
        company,
        user["id"],
        {"op": "replace", "path": "title", "value": "Should not stick"},
        {"op": "replace", "path": "active", "value": "maybe"},
    )
    body = assert_scim_error(r, 400, "invalidValue")
    assert "active" in body["detail"]
    assert "title" not in get(company, user["id"])
    assert_scim_error(patch(company, user["id"], {"op": "jump", "path": "title"}), 400)
    assert_scim_error(patch(company, user["id"], {"op": "remove"}), 400, "noTarget")
    r = company.client.patch(f"/Users/{user['id']}", json={"schemas": [], "Operations": []})
    assert_scim_error(r, 400)


def test_put_echoing_server_representation(company: Company) -> None:
    user = create(company, payload("okta", "create_user_2019"))
    # Okta's captured PUT: id, meta with its own date format and version, password, groups.
    body = payload("okta", "put_user", id=user["id"])
    body["title"] = "Director"
    r = company.client.put(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["id"] == user["id"]
    assert after["title"] == "Director"
    assert after["externalId"] == "00uq2kqg7YTkFo3cY0g3"
    assert after["meta"]["created"] == user["meta"]["created"]
    assert after["meta"]["version"] != user["meta"]["version"]
    assert "password" not in after


def test_put_of_get_result_with_changes_and_aiw_deactivation(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    current = get(company, user["id"])
    current["name"]["givenName"] = "Renamed"
    current["emails"][0]["display"] = "Test User"
    current["active"] = False
    current["password"] = "new-placeholder"
    r = company.client.put(f"/Users/{user['id']}", json=current)
    assert r.status_code == 200, r.text
    assert r.json()["name"]["givenName"] == "Renamed"
    assert r.json()["active"] is False
    current = get(company, user["id"])
    current["active"] = True
    assert company.client.put(f"/Users/{user['id']}", json=current).json()["active"] is True


def test_put_of_unchanged_representation_changes_nothing(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    current = get(company, user["id"])
    r = company.client.put(f"/Users/{user['id']}", json=current)
    assert r.status_code == 200
    assert r.json()["meta"]["version"] == current["meta"]["version"]


def test_repeated_put_with_the_same_password_writes_nothing(company: Company) -> None:
    set_settings(company, accept_idp_passwords=True)
    user = create(company, payload("okta", "create_user_2019"))
    first = company.client.put(
        f"/Users/{user['id']}", json=payload("okta", "put_user", id=user["id"])
    )
    assert first.status_code == 200
    hashed = password_hash(company, user["id"])
    again = company.client.put(
        f"/Users/{user['id']}", json=payload("okta", "put_user", id=user["id"])
    )
    assert again.status_code == 200
    assert again.json()["meta"]["version"] == first.json()["meta"]["version"]
    assert password_hash(company, user["id"]) == hashed
    assert [e["action"] for e in audit_events(company, user["id"])] == [
        "person.replace",
        "person.create",
    ]


def test_put_with_a_body_id_of_another_user_changes_only_the_url_user(company: Company) -> None:
    a = create_named(company, "a@okta.local")
    b = create_named(company, "b@okta.local")
    body = get(company, a["id"])
    body["id"] = b["id"]
    body["title"] = "Only A"
    r = company.client.put(f"/Users/{a['id']}", json=body)
    assert r.status_code == 200
    assert r.json()["id"] == a["id"]
    assert "title" not in get(company, b["id"])


def test_push_empty_values_does_not_error(company: Company) -> None:
    user = create(company, payload("okta", "create_user_extensions"))
    body = get(company, user["id"])
    body["title"] = ""
    body["displayName"] = ""
    body["locale"] = ""
    body["name"]["middleName"] = ""
    body["phoneNumbers"] = [{"value": "", "type": "work"}]
    body[ENTERPRISE] = {"department": "", "employeeNumber": "", "manager": {"value": ""}}
    body[FIFTEEN_FIVE] = {"startDate": "", "location": "", "customdepartmentCode": ""}
    r = company.client.put(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    after = r.json()
    for key in ("title", "displayName", "locale", "phoneNumbers"):
        assert key not in after, key
    assert ENTERPRISE not in after or "department" not in after[ENTERPRISE]
    assert "startDate" not in company_ext(after)
    assert "location" not in company_ext(after)
    assert "customdepartmentCode" not in company_ext(after)
    # Omitting optional attributes in a PUT clears them too, without error.
    minimal = okta_user("ext.user@okta.local", "Ext", "User")
    minimal.pop("locale")
    minimal.pop("displayName")
    r = company.client.put(f"/Users/{user['id']}", json=minimal)
    assert r.status_code == 200, r.text
