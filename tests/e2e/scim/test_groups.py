"""Groups over SCIM, replaying Okta's Push Groups shapes (reference §1.2(h), Part 3
items 11-14) and Entra's membership shapes, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from roster.directory import groups, roster_groups
from roster.directory.people import Actor
from roster.store import audit
from tests.support.harness import Company
from tests.support.helpers import bulk_people, count_queries

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def patch(company: Company, gid: str, *ops: dict[str, Any], **params: str) -> Any:
    return company.client.patch(
        f"/Groups/{gid}", json={"schemas": [PATCH], "Operations": list(ops)}, params=params
    )


def members(company: Company, gid: str) -> set[str]:
    body = company.client.get(f"/Groups/{gid}").json()
    return {m["value"] for m in body.get("members", [])}


def push(company: Company, name: str, member_ids: list[str] | None = None) -> dict[str, Any]:
    r = company.client.post(
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": name,
            "members": [{"value": i} for i in member_ids or []],
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_okta_push_create_get_list_and_filter(company: Company) -> None:
    ids = bulk_people(company, 3)
    created = push(company, "Test SCIMv2", ids[:2])
    gid = created["id"]
    assert created["displayName"] == "Test SCIMv2"
    assert {m["value"] for m in created["members"]} == set(ids[:2])
    assert created["meta"]["resourceType"] == "Group"
    assert company.client.get(f"/Groups/{gid}").status_code == 200
    page = company.client.get("/Groups", params={"startIndex": 1, "count": 100}).json()
    assert page["totalResults"] == 1 and isinstance(page["startIndex"], int)
    hit = company.client.get(
        "/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100"
    ).json()
    assert [g["id"] for g in hit["Resources"]] == [gid]
    miss = company.client.get('/Groups?filter=displayName eq "Nope"').json()
    assert miss["totalResults"] == 0 and miss["Resources"] == []
    assert company.client.get("/Groups/010101001010101011001010101011").status_code == 404
    assert company.client.get("/Groups/None").status_code == 404


def test_excluded_members_and_attributes(company: Company) -> None:
    ids = bulk_people(company, 2)
    gid = push(company, "Eng", ids)["id"]
    with count_queries(company) as statements:
        body = company.client.get("/Groups", params={"excludedAttributes": "members"}).json()
    assert "members" not in body["Resources"][0]
    assert not any("group_members" in s for s in statements)
    only = company.client.get(f"/Groups/{gid}", params={"attributes": "id,displayName"}).json()
    assert set(only) == {"schemas", "id", "displayName"}


def test_okta_rename_with_id_in_value_and_noop_rename_costs_nothing(company: Company) -> None:
    gid = push(company, "Old")["id"]
    r = patch(company, gid, {"op": "replace", "value": {"id": gid, "displayName": "New"}})
    assert r.status_code == 204
    assert company.client.get(f"/Groups/{gid}").json()["displayName"] == "New"
    version = company.client.get(f"/Groups/{gid}").json()["meta"]["version"]
    with count_queries(company) as statements:
        r = patch(company, gid, {"op": "replace", "value": {"id": gid, "displayName": "New"}})
    assert r.status_code == 204
    writes = [
        s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]
    assert writes == []
    assert company.client.get(f"/Groups/{gid}").json()["meta"]["version"] == version
    r = patch(company, gid, {"op": "replace", "value": {"id": "someone-else", "displayName": "X"}})
    assert r.status_code == 400
    assert company.client.get(f"/Groups/{gid}").json()["displayName"] == "New"


def test_okta_membership_add_remove_in_one_request(company: Company) -> None:
    a, b, c = bulk_people(company, 3)
    gid = push(company, "Team", [a, b])["id"]
    r = patch(
        company,
        gid,
        {"op": "replace", "value": {"id": gid, "displayName": "Team"}},
        {"op": "remove", "path": f'members[value eq "{a}"]'},
        {"op": "add", "path": "members", "value": [{"value": c, "display": "c@example.com"}]},
    )
    assert r.status_code == 204, r.text
    assert members(company, gid) == {b, c}


def test_push_now_replace_and_entra_remove_by_value(company: Company) -> None:
    a, b, c, d = bulk_people(company, 4)
    gid = push(company, "All", [a, b])["id"]
    assert (
        patch(
            company,
            gid,
            {"op": "replace", "path": "members", "value": [{"value": c}, {"value": d}]},
        ).status_code
        == 204
    )
    assert members(company, gid) == {c, d}
    r = patch(company, gid, {"op": "Remove", "path": "members", "value": [{"value": c}]})
    assert r.status_code == 204
    assert members(company, gid) == {d}
    r = patch(company, gid, {"op": "Add", "path": "members", "value": [{"value": a}]})
    assert members(company, gid) == {a, d}
    r = patch(company, gid, {"op": "remove", "path": "members"})
    assert members(company, gid) == set()


def test_unknown_member_is_400_and_nothing_applied(
    company: Company, other_company: Company
) -> None:
    a, b = bulk_people(company, 2)
    stranger = bulk_people(other_company, 1)[0]
    gid = push(company, "G", [a])["id"]
    r = patch(
        company,
        gid,
        {"op": "replace", "value": {"displayName": "Renamed"}},
        {"op": "add", "path": "members", "value": [{"value": b}, {"value": stranger}]},
    )
    assert r.status_code == 400
    body = r.json()
    assert body["scimType"] == "invalidValue" and stranger in body["detail"]
    after = company.client.get(f"/Groups/{gid}").json()
    assert after["displayName"] == "G" and {m["value"] for m in after["members"]} == {a}
    r = company.client.post("/Groups", json={"displayName": "X", "members": [{"value": "nope"}]})
    assert r.status_code == 400
    assert company.client.get('/Groups?filter=displayName eq "X"').json()["totalResults"] == 0


def test_put_replaces_name_and_members_and_delete_is_audited(company: Company) -> None:
    a, b = bulk_people(company, 2)
    gid = push(company, "P", [a])["id"]
    r = company.client.put(
        f"/Groups/{gid}", json={"schemas": [GROUP], "displayName": "P2", "members": [{"value": b}]}
    )
    assert r.status_code == 200
    assert r.json()["displayName"] == "P2" and members(company, gid) == {b}
    assert company.client.delete(f"/Groups/{gid}").status_code == 204
    assert company.client.get(f"/Groups/{gid}").status_code == 404
    person = company.client.get(f"/Users/{b}").json()
    assert person["groups"] == []

    async def events(db: Any) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return await audit.events_for(conn, company.tenant.id, gid)

    deleted = [e for e in company.call(events) if e["action"] == "group.delete"]
    assert deleted[0]["changes"]["deleted"]["members"] == [b]
    assert deleted[0]["changes"]["deleted"]["display_name"] == "P2"


def test_push_takes_over_existing_group_by_exact_name_and_keeps_type(company: Company) -> None:
    a, b = bulk_people(company, 2)
    roster_group = company.call(
        lambda db: roster_groups.add_roster_group(
            db, company.tenant, "Sales", "Departments", actor=Actor("cli")
        )
    )
    listed = company.client.get('/Groups?filter=displayName eq "Sales"').json()
    assert [g["id"] for g in listed["Resources"]] == [roster_group["id"]]  # pull: Okta imports it
    # A Roster group is Roster's to edit.
    assert (
        patch(
            company, roster_group["id"], {"op": "replace", "path": "displayName", "value": "X"}
        ).status_code
        == 403
    )
    taken = push(company, "Sales", [a, b])
    assert taken["id"] == roster_group["id"]
    assert {m["value"] for m in taken["members"]} == {a, b}
    assert company.client.get("/Groups").json()["totalResults"] == 1
    again = company.call(lambda db: groups.get_group(db, company.tenant, roster_group["id"]))
    assert again["group_type"] == "Departments"
    # A different case is a different name: a new group.
    assert push(company, "sales")["id"] != roster_group["id"]


def test_group_type_survives_every_sync(company: Company) -> None:
    (a,) = bulk_people(company, 1)
    gid = push(company, "Team A")["id"]
    company.call(
        lambda db: roster_groups.set_group_type(
            db, company.tenant, gid, "Teams", actor=Actor("cli")
        )
    )
    patch(
        company,
        gid,
        {"op": "replace", "value": {"id": gid, "displayName": "Team B"}},
        {"op": "add", "path": "members", "value": [{"value": a}]},
    )
    company.client.put(f"/Groups/{gid}", json={"displayName": "Team C", "members": []})
    group = company.call(lambda db: groups.get_group(db, company.tenant, gid))
    assert group["group_type"] == "Teams" and group["display_name"] == "Team C"


def test_users_groups_attribute_lists_memberships(company: Company) -> None:
    (a,) = bulk_people(company, 1)
    g1 = push(company, "One", [a])["id"]
    g2 = push(company, "Two", [a])["id"]
    user = company.client.get(f"/Users/{a}").json()
    assert {g["value"] for g in user["groups"]} == {g1, g2}
    assert all(g["$ref"].endswith(g["value"]) for g in user["groups"])
    # A write's response shows the groups and manager too, read once, not twice.
    manager = company.client.post(
        "/Users",
        json={"userName": "boss@example.com", "name": {"givenName": "Big", "familyName": "Boss"}},
    ).json()
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    with count_queries(company) as statements:
        patched = company.client.patch(
            f"/Users/{a}",
            json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"title": "Lead"}}],
            },
        ).json()
    assert patched["title"] == "Lead"
    assert {g["value"] for g in patched["groups"]} == {g1, g2}
    assert sum("group_members" in s for s in statements) == 1, statements
    replaced = company.client.put(
        f"/Users/{a}",
        json={**user, "title": "Head", enterprise: {"manager": {"value": manager["id"]}}},
    ).json()
    assert {g["value"] for g in replaced["groups"]} == {g1, g2}
    assert replaced[enterprise]["manager"]["value"] == manager["id"]
    assert replaced[enterprise]["manager"]["displayName"] == "Big Boss"


def _membership_queries(company: Company, size: int) -> int:
    ids = bulk_people(company, size + 1, prefix=f"s{size}-")
    gid = push(company, f"Size {size}")["id"]
    patch(
        company, gid, {"op": "add", "path": "members", "value": [{"value": i} for i in ids[:size]]}
    )
    with count_queries(company) as add_statements:
        patch(company, gid, {"op": "add", "path": "members", "value": [{"value": ids[size]}]})
    with count_queries(company) as remove_statements:
        patch(company, gid, {"op": "remove", "path": f'members[value eq "{ids[size]}"]'})
    assert len(members(company, gid)) == size
    return len(add_statements) + len(remove_statements)


def test_one_member_change_costs_the_same_at_any_size(company: Company) -> None:
    small = _membership_queries(company, 10)
    large = _membership_queries(company, 3000)
    assert small == large


def test_page_of_groups_fetches_members_in_one_query(company: Company) -> None:
    ids = bulk_people(company, 5)
    for n in range(8):
        push(company, f"G{n}", ids)
    with count_queries(company) as statements:
        page = company.client.get("/Groups?startIndex=1&count=100").json()
    assert len(page["Resources"]) == 8
    assert sum("group_members" in s for s in statements) == 1


def test_entra_membership_filter_and_paging(company: Company) -> None:
    a, b = bulk_people(company, 2)
    gid = push(company, "E", [a])["id"]
    hit = company.client.get(
        "/Groups",
        params={"filter": f'id eq "{gid}" and members eq "{a}"', "excludedAttributes": "members"},
    ).json()
    assert hit["totalResults"] == 1
    miss = company.client.get(
        "/Groups", params={"filter": f'id eq "{gid}" and members eq "{b}"'}
    ).json()
    assert miss["totalResults"] == 0
    for n in range(5):
        push(company, f"Page {n}")
    first = company.client.get("/Groups", params={"startIndex": 1, "count": 2}).json()
    second = company.client.get("/Groups", params={"startIndex": 3, "count": 2}).json()
    assert first["totalResults"] == 6
    assert not {g["id"] for g in first["Resources"]} & {g["id"] for g in second["Resources"]}


def test_bad_group_bodies_get_scim_errors(company: Company) -> None:
    assert company.client.post("/Groups", json={"members": []}).json()["scimType"] == "invalidValue"
    gid = push(company, "Z")["id"]
    r = patch(company, gid, {"op": "add", "path": 'members[value eq "x"]', "value": []})
    assert r.status_code == 400
    r = patch(company, gid, {"op": "remove", "path": "displayName"})
    assert r.status_code == 400
    r = patch(company, gid, {"op": "add", "path": "members", "value": [{"value": 5}]})
    assert r.status_code == 400
