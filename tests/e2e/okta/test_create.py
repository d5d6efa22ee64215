"""Okta's create (Part 3 #3, #4), replayed from its recorded requests (tests/idp/okta):
its full body, plain JSON and the 2019 body; 409 uniqueness for a userName in any case
and for an email held even by a deactivated person."""

from __future__ import annotations

import copy

from tests.support.harness import Company
from tests.support.users import (
    CORE_USER,
    assert_good_id,
    assert_scim_error,
    create,
    create_named,
    get,
    okta_user,
    patched,
    payload,
    search,
)


def test_create_with_oktas_full_body(company: Company) -> None:
    body = payload("okta", "create_user")
    r = company.client.post("/Users", json=body)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    user = r.json()
    assert_good_id(user["id"])
    assert r.headers["location"].endswith(f"/Users/{user['id']}")
    assert r.headers["etag"] == user["meta"]["version"]
    assert user["schemas"][0] == CORE_USER
    assert user["userName"] == "test.user@okta.local"
    assert user["name"] == {"givenName": "Test", "familyName": "User"}
    assert user["displayName"] == "Test User"
    assert user["locale"] == "en-US"
    assert user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert user["active"] is True
    assert user["groups"] == []
    assert user["emails"] == [{"value": "test.user@okta.local", "type": "work", "primary": True}]
    assert "password" not in user
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["location"].endswith(f"/scim/v2/Users/{user['id']}")
    # The id is stable: the same person is read back under it.
    again = get(company, user["id"])
    assert again["id"] == user["id"]
    assert again["userName"] == user["userName"]


def test_create_accepts_plain_json_and_the_2019_body(company: Company) -> None:
    body = payload("okta", "create_user_2019")
    r = company.client.post(
        "/Users",
        json=body,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/scim+json; charset=utf-8",
            "User-Agent": "OKTA SCIM Integration",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["locale"] == "en_US"


def test_duplicate_user_name_in_any_case_is_409_uniqueness(company: Company) -> None:
    body = payload("okta", "create_user")
    first = create(company, body)
    again = assert_scim_error(company.client.post("/Users", json=body), 409, "uniqueness")
    assert first["id"] in again["detail"]
    shouted = copy.deepcopy(body)
    shouted["userName"] = body["userName"].upper()
    shouted["emails"] = [{"value": "other@okta.local", "primary": True, "type": "work"}]
    assert_scim_error(company.client.post("/Users", json=shouted), 409, "uniqueness")
    assert search(company, {"filter": "userName pr"})["totalResults"] == 1


def test_duplicate_email_is_409_even_when_the_holder_is_deactivated(company: Company) -> None:
    holder = create_named(company, "holder@okta.local")
    patched(company, holder["id"], *payload("okta", "deactivate_user")["Operations"])
    other = okta_user("someone.else@okta.local", email="HOLDER@okta.local")
    body = assert_scim_error(company.client.post("/Users", json=other), 409, "uniqueness")
    assert holder["id"] in body["detail"]
    assert "deactivated" in body["detail"]
