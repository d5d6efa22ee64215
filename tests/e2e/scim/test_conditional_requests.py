"""ETags all the way (RFC 7644 §3.14, RFC 7232) on /Users and /Groups: a weak ETag on
every resource response and list member, If-None-Match on GET answered 304,
If-Match / If-None-Match on writes answered 412 with nothing changed, `*` as RFC 7232
defines it; on SQLite and PostgreSQL, over the hot routes and FastAPI's alike."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.harness import Company
from tests.support.users import assert_scim_error, create, create_named, get, okta_user

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _ops(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


def _assert_tagged(r: httpx.Response, status: int = 200) -> str:
    """The response's ETag: weak, and the same as the body's meta.version."""
    assert r.status_code == status, r.text
    tag = r.headers["etag"]
    assert tag.startswith('W/"') and tag.endswith('"')
    assert r.json()["meta"]["version"] == tag
    return tag


def _assert_not_modified(r: httpx.Response, tag: str) -> None:
    assert r.status_code == 304, r.text
    assert r.headers["etag"] == tag
    assert r.content == b""
    assert "content-type" not in r.headers


def test_user_get_etag_then_304_then_200_after_a_change(company: Company) -> None:
    created = company.client.post("/Users", json=okta_user("ada@example.com"))
    tag = _assert_tagged(created, 201)
    uid = created.json()["id"]
    first = company.client.get(f"/Users/{uid}")
    assert _assert_tagged(first) == tag
    _assert_not_modified(company.client.get(f"/Users/{uid}", headers={"If-None-Match": tag}), tag)
    # A list of tags, the strong spelling of the same tag, and "*" match too.
    for header in (f'W/"999", {tag}', tag[2:], "*"):
        _assert_not_modified(
            company.client.get(f"/Users/{uid}", headers={"If-None-Match": header}), tag
        )
    # A tag Roster never issued, or an older one: the resource, in full.
    other = company.client.get(f"/Users/{uid}", headers={"If-None-Match": '"xyz"'})
    assert _assert_tagged(other) == tag and other.json()["userName"] == "ada@example.com"

    changed = company.client.patch(
        f"/Users/{uid}", json=_ops({"op": "replace", "path": "title", "value": "Analyst"})
    )
    new_tag = _assert_tagged(changed)
    assert new_tag != tag
    again = company.client.get(f"/Users/{uid}", headers={"If-None-Match": tag})
    assert _assert_tagged(again) == new_tag and again.json()["title"] == "Analyst"
    put = company.client.put(f"/Users/{uid}", json={**again.json(), "title": "Lead"})
    assert _assert_tagged(put) not in (tag, new_tag)


def test_user_stale_if_match_is_412_and_changes_nothing(company: Company) -> None:
    user = create_named(company, "bo@example.com")
    uid, stale = user["id"], user["meta"]["version"]
    current = _assert_tagged(
        company.client.patch(
            f"/Users/{uid}",
            json=_ops({"op": "replace", "path": "title", "value": "One"}),
            headers={"If-Match": stale},
        )
    )
    for method, body in (
        ("patch", _ops({"op": "replace", "path": "title", "value": "Two"})),
        ("put", {**get(company, uid), "title": "Two"}),
    ):
        r = company.client.request(method, f"/Users/{uid}", json=body, headers={"If-Match": stale})
        assert_scim_error(r, 412)
        assert r.json()["status"] == "412"
    assert_scim_error(company.client.delete(f"/Users/{uid}", headers={"If-Match": stale}), 412)
    now = company.client.get(f"/Users/{uid}")
    assert now.json()["title"] == "One" and now.headers["etag"] == current
    # GET with a stale If-Match: 412 as well (RFC 7232 §3.1 applies to every method).
    assert_scim_error(company.client.get(f"/Users/{uid}", headers={"If-Match": stale}), 412)
    # If-Match: * and the current tag: the change is made.
    ok = company.client.patch(
        f"/Users/{uid}",
        json=_ops({"op": "replace", "path": "title", "value": "Three"}),
        headers={"If-Match": "*"},
    )
    assert ok.status_code == 200 and ok.json()["title"] == "Three"
    tag = ok.headers["etag"]
    r = company.client.delete(f"/Users/{uid}", headers={"If-Match": tag})
    assert r.status_code == 204


def test_if_none_match_on_a_write(company: Company) -> None:
    """If-None-Match: * on an existing resource (RFC 7232 §3.2: "only if none exists")
    and If-None-Match naming the current version are 412 for a write; naming another
    version lets it through."""
    user = create_named(company, "cy@example.com")
    uid, tag = user["id"], user["meta"]["version"]
    title = _ops({"op": "replace", "path": "title", "value": "X"})
    for header in ("*", tag):
        assert_scim_error(
            company.client.patch(f"/Users/{uid}", json=title, headers={"If-None-Match": header}),
            412,
        )
    assert "title" not in get(company, uid)
    r = company.client.patch(f"/Users/{uid}", json=title, headers={"If-None-Match": 'W/"77"'})
    assert r.status_code == 200 and r.json()["title"] == "X"


def test_group_etags_follow_membership(company: Company) -> None:
    ann = create_named(company, "ann@example.com")
    ben = create_named(company, "ben@example.com")
    created = company.client.post(
        "/Groups", json={"schemas": [GROUP], "displayName": "Eng", "members": []}
    )
    tag = _assert_tagged(created, 201)
    gid = created.json()["id"]
    assert _assert_tagged(company.client.get(f"/Groups/{gid}")) == tag
    _assert_not_modified(company.client.get(f"/Groups/{gid}", headers={"If-None-Match": tag}), tag)
    # Okta's read of a group without its members carries the same version.
    slim = company.client.get(
        f"/Groups/{gid}", params={"excludedAttributes": "members"}, headers={"If-None-Match": tag}
    )
    _assert_not_modified(slim, tag)

    # A member added (Okta's 204 answer carries the new ETag) changes the group's ETag.
    add = company.client.patch(
        f"/Groups/{gid}",
        json=_ops({"op": "add", "path": "members", "value": [{"value": ann["id"]}]}),
    )
    assert add.status_code == 204
    added_tag = add.headers["etag"]
    assert added_tag != tag
    fresh = company.client.get(f"/Groups/{gid}", headers={"If-None-Match": tag})
    assert _assert_tagged(fresh) == added_tag
    assert [m["value"] for m in fresh.json()["members"]] == [ann["id"]]

    # A stale If-Match on a membership change: 412, the member list as it was.
    r = company.client.patch(
        f"/Groups/{gid}",
        json=_ops({"op": "add", "path": "members", "value": [{"value": ben["id"]}]}),
        headers={"If-Match": tag},
    )
    assert_scim_error(r, 412)
    members = company.client.get(f"/Groups/{gid}").json()["members"]
    assert [m["value"] for m in members] == [ann["id"]]
    # PATCH with attributes asked for answers 200 with the ETag in header and body.
    removed = company.client.patch(
        f"/Groups/{gid}",
        params={"excludedAttributes": "members"},
        json=_ops({"op": "remove", "path": f'members[value eq "{ann["id"]}"]'}),
        headers={"If-Match": added_tag},
    )
    assert _assert_tagged(removed) not in (tag, added_tag)
    put = company.client.put(
        f"/Groups/{gid}", json={"schemas": [GROUP], "displayName": "Eng 2", "members": []}
    )
    assert _assert_tagged(put) != removed.headers["etag"]
    assert_scim_error(company.client.delete(f"/Groups/{gid}", headers={"If-Match": tag}), 412)
    assert company.client.get(f"/Groups/{gid}").status_code == 200


def test_list_members_carry_the_resources_etag(company: Company) -> None:
    people = [create_named(company, f"p{i}@example.com") for i in range(3)]
    company.client.patch(
        f"/Users/{people[1]['id']}",
        json=_ops({"op": "replace", "path": "title", "value": "Bumped"}),
    )
    group = company.client.post(
        "/Groups",
        json={"schemas": [GROUP], "displayName": "All", "members": [{"value": people[0]["id"]}]},
    ).json()
    listed = {
        u["id"]: u["meta"]["version"] for u in company.client.get("/Users").json()["Resources"]
    }
    searched = company.client.post(
        "/Users/.search", json={"excludedAttributes": "groups", "count": 10}
    ).json()["Resources"]
    assert listed == {u["id"]: u["meta"]["version"] for u in searched}
    for person in people:
        assert listed[person["id"]] == company.client.get(f"/Users/{person['id']}").headers["etag"]
    assert listed[people[1]["id"]] != people[1]["meta"]["version"]
    groups = company.client.get("/Groups", params={"excludedAttributes": "members"}).json()
    [listed_group] = groups["Resources"]
    assert (
        listed_group["meta"]["version"]
        == (company.client.get(f"/Groups/{group['id']}").headers["etag"])
    )


def test_a_person_created_with_a_body_shows_the_same_tag_everywhere(company: Company) -> None:
    body = okta_user("dee@example.com")
    created = create(company, body)
    r = company.client.get(f"/Users/{created['id']}")
    assert r.headers["etag"] == created["meta"]["version"] == r.json()["meta"]["version"]
