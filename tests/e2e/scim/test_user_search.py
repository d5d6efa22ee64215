"""Listing /Users: sortBy and sortOrder, attributes and excludedAttributes, POST
/Users/.search, and cursor pagination (RFC 9865)."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Company
from tests.support.users import ENTERPRISE, FIFTEEN_FIVE, assert_scim_error, get, search


def test_sort_by_and_sort_order(crew: Company) -> None:
    def order(**params: Any) -> list[str]:
        body = search(crew, params)
        return [u["name"]["givenName"] for u in body["Resources"]]

    assert order(sortBy="userName") == ["Alice", "Bob", "Carol", "Dave", "Eve"]
    assert order(sortBy="userName", sortOrder="descending") == [
        "Eve",
        "Dave",
        "Carol",
        "Bob",
        "Alice",
    ]
    assert order(sortBy="name.familyName") == ["Eve", "Dave", "Carol", "Bob", "Alice"]
    # Missing values sort last either way.
    assert order(sortBy="title")[-1] == "Dave"
    assert order(sortBy="title", sortOrder="descending")[-1] == "Dave"
    assert order(sortBy=f"{FIFTEEN_FIVE}:startDate") == ["Dave", "Alice", "Bob", "Eve", "Carol"]
    assert order(sortBy="meta.created") == ["Alice", "Bob", "Carol", "Dave", "Eve"]
    assert order(sortBy="emails", count="2", startIndex="2") == ["Bob", "Carol"]
    assert_scim_error(crew.client.get("/Users", params={"sortBy": "password"}), 400)
    assert_scim_error(crew.client.get("/Users", params={"sortOrder": "sideways"}), 400)


def test_attributes_and_excluded_attributes(crew: Company) -> None:
    body = search(crew, {"attributes": "userName,name.givenName", "count": "1"})
    user = body["Resources"][0]
    assert set(user) == {"schemas", "id", "userName", "name"}
    assert set(user["name"]) == {"givenName"}
    body = search(crew, {"excludedAttributes": "emails,groups,meta", "count": "1"})
    user = body["Resources"][0]
    assert "emails" not in user and "groups" not in user and "meta" not in user
    assert user["id"] and user["userName"]
    user = search(crew, {"attributes": f"{ENTERPRISE}:employeeNumber", "count": "1"})["Resources"][
        0
    ]
    assert user[ENTERPRISE] == {"employeeNumber": "E-1"}
    one = get(crew, user["id"], excludedAttributes=f"{FIFTEEN_FIVE}:customLevel,id")
    assert one["id"] == user["id"]
    assert "customLevel" not in one[FIFTEEN_FIVE]
    one = get(crew, user["id"], attributes="emails.value")
    assert one["emails"] == [{"value": "alice@example.com"}]


def test_post_search(crew: Company) -> None:
    r = crew.client.post(
        "/Users/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'title co "engineer"',
            "attributes": ["userName"],
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 1,
            "count": 10,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totalResults"] == 2
    assert [u["userName"] for u in body["Resources"]] == ["Eve@Example.com", "alice@example.com"]
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}
    r = crew.client.post("/Users/.search", json={"schemas": ["urn:bad"], "filter": "userName pr"})
    assert_scim_error(r, 400)
    r = crew.client.post("/Users/.search", json={"filter": "favoriteColor pr"})
    assert_scim_error(r, 400, "invalidFilter")


def test_cursor_pagination(crew: Company) -> None:
    seen: list[str] = []
    body = search(crew, {"cursor": "", "count": "2"})
    assert body["totalResults"] == 5
    pages = 1
    while True:
        seen.extend(u["id"] for u in body["Resources"])
        if "nextCursor" not in body:
            break
        assert body["itemsPerPage"] == 2
        body = search(crew, {"cursor": body["nextCursor"], "count": "2"})
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    filtered = search(crew, {"cursor": "", "count": "1", "filter": "active eq false"})
    assert filtered["totalResults"] == 2 and filtered["itemsPerPage"] == 1
    rest = search(crew, {"cursor": filtered["nextCursor"], "filter": "active eq false"})
    assert rest["itemsPerPage"] == 1 and "nextCursor" not in rest
    assert_scim_error(crew.client.get("/Users", params={"cursor": "!!not-a-cursor!!"}), 400)


def test_cursor_with_count_zero_and_descending(crew: Company) -> None:
    body = search(crew, {"cursor": "", "count": "0"})
    assert body["totalResults"] == 5 and body["Resources"] == []
    ascending = [u["id"] for u in search(crew, {"cursor": ""})["Resources"]]
    assert len(ascending) == 5
    # Cursors follow ascending id order; another order is refused, not silently wrong.
    for params in ({"sortOrder": "descending"}, {"sortBy": "userName"}):
        r = crew.client.get("/Users", params={"cursor": "", **params})
        assert_scim_error(r, 400, "invalidValue")
