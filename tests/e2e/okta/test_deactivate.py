"""Okta's deactivate and reactivate (Part 3 #7, #8), replayed from its recorded requests
(tests/idp/okta): the path-less PATCH and the path "active" form keep the same id and
everything else."""

from __future__ import annotations

from tests.support.harness import Company
from tests.support.users import create, get, patched, payload, search


def test_pathless_patch_deactivates_and_reactivates_the_same_id(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    r = company.client.patch(f"/Users/{user['id']}", json=payload("okta", "deactivate_user"))
    assert r.status_code == 200, r.text
    off = r.json()
    assert off["id"] == user["id"] and off["active"] is False
    # Still readable, still found by the lookup.
    assert get(company, user["id"])["active"] is False
    hit = search(company, payload("okta", "lookup_queries")["percent20"])
    assert [u["active"] for u in hit["Resources"]] == [False]
    on = company.client.patch(f"/Users/{user['id']}", json=payload("okta", "reactivate_user"))
    assert on.status_code == 200
    assert on.json()["id"] == user["id"] and on.json()["active"] is True
    assert get(company, user["id"])["active"] is True
    # Everything else was kept.
    assert get(company, user["id"])["name"] == user["name"]


def test_path_active_form_also_works(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    off = patched(company, user["id"], {"op": "replace", "path": "active", "value": False})
    assert off["active"] is False
    on = patched(company, user["id"], {"op": "replace", "path": "active", "value": True})
    assert on["active"] is True
