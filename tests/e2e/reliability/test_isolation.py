"""One company's token never reaches another company's people or groups."""

from __future__ import annotations

from tests.support.harness import Company

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_a_token_of_company_a_cannot_see_or_touch_company_b(
    company: Company, other_company: Company
) -> None:
    b = other_company.client
    person = b.post(
        "/Users",
        json={"userName": "only.b@example.com", "emails": [{"value": "only.b@example.com"}]},
    ).json()
    group = b.post("/Groups", json={"displayName": "B's group", "members": []}).json()
    a = company.client
    pid, gid = person["id"], group["id"]
    for method, path, body in [
        ("GET", f"/Users/{pid}", None),
        ("PUT", f"/Users/{pid}", {"userName": "stolen@example.com"}),
        (
            "PATCH",
            f"/Users/{pid}",
            {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
        ),
        ("DELETE", f"/Users/{pid}", None),
        ("GET", f"/Groups/{gid}", None),
        ("PUT", f"/Groups/{gid}", {"displayName": "stolen", "members": []}),
        (
            "PATCH",
            f"/Groups/{gid}",
            {
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "path": "displayName", "value": "stolen"}],
            },
        ),
        ("DELETE", f"/Groups/{gid}", None),
    ]:
        r = a.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    assert (
        a.get("/Users", params={"filter": 'userName eq "only.b@example.com"'}).json()[
            "totalResults"
        ]
        == 0
    )
    assert a.get("/Users").json()["totalResults"] == 0
    assert a.get("/Groups").json()["totalResults"] == 0
    # B's group cannot be given A's people, nor A's group B's people.
    mine = a.post("/Users", json={"userName": "a@example.com"}).json()
    r = b.patch(
        f"/Groups/{gid}",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": mine["id"]}]}],
        },
    )
    assert r.status_code == 400
    # Nothing of B's changed.
    after = b.get(f"/Users/{pid}").json()
    assert after["userName"] == "only.b@example.com" and after["active"] is True
    assert b.get(f"/Groups/{gid}").json()["displayName"] == "B's group"
    # The same userName may exist in both companies.
    assert a.post("/Users", json={"userName": "only.b@example.com"}).status_code == 201
