"""`POST /.search` at the service root (RFC 7644 §3.4.3), endpoint names without regard
to case, and the invalidFilter refusal listing what can be filtered; SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from roster.model.registry import GROUP_FILTERABLE, UserSchemas
from tests.support.harness import Company
from tests.support.users import assert_scim_error, create_named, okta_user

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _root(company: Company, **body: Any) -> Any:
    r = company.client.post("/.search", json={"schemas": [SEARCH], **body})
    assert r.status_code == 200, r.text
    return r.json()


def _group(company: Company, name: str, members: list[str]) -> dict[str, Any]:
    r = company.client.post(
        "/Groups",
        json={"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _kinds(resources: list[dict[str, Any]]) -> list[str]:
    return [r["meta"]["resourceType"] for r in resources]


def test_root_search_finds_users_and_groups_told_apart_by_schemas(company: Company) -> None:
    alice = create_named(company, "alice@example.com", given="Alice", family="Archer")
    bob = create_named(company, "bob@example.com", given="Bob", family="Baker")
    admins = _group(company, "Admins", [alice["id"]])
    _group(company, "Builders", [bob["id"]])

    everything = _root(company)
    assert everything["totalResults"] == 4 and everything["startIndex"] == 1
    assert _kinds(everything["Resources"]) == ["User", "User", "Group", "Group"]
    for resource in everything["Resources"]:
        expected = USER if resource["meta"]["resourceType"] == "User" else GROUP
        assert resource["schemas"][0] == expected

    # A filter only Users understand searches Users only; Groups' only, Groups only.
    only_user = _root(company, filter='userName eq "alice@example.com"')
    assert [r["id"] for r in only_user["Resources"]] == [alice["id"]]
    assert only_user["totalResults"] == 1
    only_group = _root(company, filter=f'members.value eq "{alice["id"]}"')
    assert [r["id"] for r in only_group["Resources"]] == [admins["id"]]
    # An attribute both define searches both.
    both = _root(company, filter='displayName sw "A"')
    assert sorted(_kinds(both["Resources"])) == ["Group", "User"]
    assert {r["displayName"] for r in both["Resources"]} == {"Alice Archer", "Admins"}

    # attributes / excludedAttributes apply to each resource type.
    slim = _root(company, attributes=["userName", "displayName"])
    users = [r for r in slim["Resources"] if r["schemas"] == [USER]]
    assert all(set(u) <= {"id", "schemas", "userName", "displayName"} for u in users)
    groups = _root(company, excludedAttributes="members", filter='displayName eq "Admins"')
    assert "members" not in groups["Resources"][0]


def test_root_search_pages_across_both_types_stably(company: Company) -> None:
    people = sorted(create_named(company, f"p{i}@example.com")["id"] for i in range(3))
    groups = sorted(_group(company, f"G{i}", [])["id"] for i in range(3))
    seen: list[str] = []
    for start in (1, 3, 5, 7):
        page = _root(company, startIndex=start, count=2)
        assert page["totalResults"] == 6 and page["startIndex"] == start
        seen.extend(r["id"] for r in page["Resources"])
    assert seen == people + groups  # Users in id order, then Groups; none twice
    assert _root(company, startIndex=3, count=2) == _root(company, startIndex=3, count=2)
    assert _root(company, count=0)["Resources"] == []
    assert _root(company, count=0)["totalResults"] == 6


def test_root_search_refusals(company: Company) -> None:
    refused = company.client.post("/.search", json={"filter": 'favoriteColor eq "x"'})
    assert_scim_error(refused, 400, "invalidFilter")
    detail = refused.json()["detail"]
    assert "neither Users nor Groups" in detail and "userName" in detail
    assert "members.value" in detail
    assert_scim_error(
        company.client.post("/.search", json={"filter": 'userName eq "x" and'}),
        400,
        "invalidFilter",
    )
    assert_scim_error(
        company.client.post("/.search", json={"sortBy": "displayName"}), 400, "invalidValue"
    )
    assert_scim_error(company.client.post("/.search", json={"cursor": ""}), 400, "invalidValue")
    assert_scim_error(
        company.client.post("/.search", json={"schemas": ["urn:wrong"]}), 400, "invalidValue"
    )


@pytest.mark.parametrize(
    ("spelling", "groups"), [("users", "groups"), ("USERS", "GROUPS"), ("uSeRs", "gRoUpS")]
)
def test_resource_endpoints_match_without_regard_to_case(
    company: Company, spelling: str, groups: str
) -> None:
    created = company.client.post(f"/{spelling}", json=okta_user(f"{spelling}@example.com"))
    assert created.status_code == 201, created.text
    uid = created.json()["id"]
    assert created.json()["meta"]["location"].endswith(f"/Users/{uid}")
    got = company.client.get(f"/{spelling}/{uid}")
    assert got.status_code == 200 and got.json()["id"] == uid
    found = company.client.get(f"/{spelling}", params={"filter": f'id eq "{uid}"'}).json()
    assert [u["id"] for u in found["Resources"]] == [uid]
    searched = company.client.post(f"/{spelling}/.search", json={"filter": f'id eq "{uid}"'})
    assert searched.status_code == 200 and searched.json()["totalResults"] == 1
    patched = company.client.patch(
        f"/{spelling}/{uid}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "title", "value": "Lower"}],
        },
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Lower"
    group = company.client.post(
        f"/{groups}",
        json={"schemas": [GROUP], "displayName": f"G {spelling}", "members": [{"value": uid}]},
    )
    assert group.status_code == 201, group.text
    for path in ("/serviceproviderconfig", "/SCHEMAS", "/resourcetypes/user"):
        assert company.client.get(path).status_code == 200, path
    assert company.client.delete(f"/{spelling}/{uid}").status_code == 204
    assert company.client.get(f"/Users/{uid}").status_code == 404


def test_invalid_filter_lists_what_the_registry_lets_a_filter_use(company: Company) -> None:
    company.client.post("/Users", json=okta_user("x@example.com"))
    r = company.client.get("/Users", params={"filter": 'favoriteColor eq "x"'})
    assert_scim_error(r, 400, "invalidFilter")
    detail = r.json()["detail"]
    assert "favoriteColor cannot be used in a filter;" in detail
    listed = detail.split("filtered are: ", 1)[1].split(", ")
    assert listed == list(UserSchemas(company.server.settings.company_extension_urn).filterable)
    assert "userName" in listed and "emails.value" in listed and "manager.value" in listed
    assert "nickName" in listed and "addresses.locality" not in listed
    # An attribute Roster keeps but does not filter on is refused as such, not as unknown.
    kept = company.client.get("/Users", params={"filter": 'addresses[locality eq "x"]'})
    assert_scim_error(kept, 400, "invalidFilter")
    assert (
        "addresses.locality cannot be used in a filter (Roster keeps and returns it, but "
        "does not filter on it)" in kept.json()["detail"]
    )
    # A company's own custom attribute is listed once it exists.
    company.client.post(
        "/Users",
        json={
            **okta_user("y@example.com"),
            company.server.settings.company_extension_urn: {"customLevel": "L3"},
        },
    )
    again = company.client.get("/Users", params={"filter": 'favoriteColor eq "x"'}).json()["detail"]
    assert "customLevel" in again.split("filtered are: ", 1)[1]
    groups = company.client.get("/Groups", params={"filter": 'userName eq "x"'})
    assert_scim_error(groups, 400, "invalidFilter")
    assert groups.json()["detail"].endswith(", ".join(GROUP_FILTERABLE))
