"""ETags and conditional writes on /Users: If-Match on PATCH, PUT and DELETE (412 when
stale), and concurrent creates and conditional writes with exactly one winner."""

from __future__ import annotations

from tests.support.harness import Company
from tests.support.users import assert_scim_error, create, get, payload, search


def test_etag_and_if_match(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    version = user["meta"]["version"]
    assert version.startswith('W/"')
    r = company.client.get(f"/Users/{user['id']}")
    assert r.headers["etag"] == version
    stale = version
    ok = company.client.patch(
        f"/Users/{user['id']}",
        json=payload("okta", "deactivate_user"),
        headers={"If-Match": version},
    )
    assert ok.status_code == 200
    current = ok.json()["meta"]["version"]
    assert current != stale and ok.headers["etag"] == current
    for method, body in (
        ("patch", payload("okta", "reactivate_user")),
        ("put", get(company, user["id"])),
    ):
        r = company.client.request(
            method, f"/Users/{user['id']}", json=body, headers={"If-Match": stale}
        )
        assert_scim_error(r, 412)
    assert get(company, user["id"])["active"] is False
    r = company.client.delete(f"/Users/{user['id']}", headers={"If-Match": stale})
    assert_scim_error(r, 412)
    r = company.client.put(
        f"/Users/{user['id']}", json=get(company, user["id"]), headers={"If-Match": "*"}
    )
    assert r.status_code == 200
    assert_scim_error(
        company.client.patch(
            f"/Users/{user['id']}",
            json=payload("okta", "reactivate_user"),
            headers={"If-Match": "garbage"},
        ),
        412,
    )
    r = company.client.delete(f"/Users/{user['id']}", headers={"If-Match": current})
    assert r.status_code == 204


def test_concurrent_creates_and_conditional_writes(company: Company) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = payload("okta", "create_user")
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(
            pool.map(lambda _: company.client.post("/Users", json=body).status_code, range(6))
        )
    assert statuses == [201, 409, 409, 409, 409, 409]
    user = search(company, {"filter": 'userName eq "test.user@okta.local"'})["Resources"][0]
    version = user["meta"]["version"]

    def retitle(i: int) -> int:
        r = company.client.patch(
            f"/Users/{user['id']}",
            json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": f"T{i}"}],
            },
            headers={"If-Match": version},
        )
        return r.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(retitle, range(6)))
    assert statuses == [200, 412, 412, 412, 412, 412]
    assert get(company, user["id"])["meta"]["version"] == 'W/"2"'
