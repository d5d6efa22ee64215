"""Okta's import (Part 3 #10), replayed from its recorded requests (tests/idp/okta):
everyone in a stable order, each page continuing after the previous page's last id;
count=0 and the connection test."""

from __future__ import annotations

import re

from roster.directory import people
from roster.directory.people import Actor
from roster.model.registry import UserSchemas
from roster.scim.users import parse_user
from roster.store.db import Database
from tests.support.harness import Company
from tests.support.helpers import count_queries
from tests.support.users import assert_good_id, assert_scim_error, payload, search


def _seed(company: Company, n: int) -> list[str]:
    schemas = UserSchemas(company.server.settings.company_extension_urn)

    async def make(db: Database) -> list[str]:
        ids = []
        for i in range(n):
            body = {
                "userName": f"person{i:04d}@okta.local",
                "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
                "emails": [{"value": f"person{i:04d}@okta.local", "primary": True}],
                "active": i % 7 != 0,
            }
            written = await people.create_person(
                db,
                company.tenant,
                parse_user(body, schemas),
                actor=Actor(f"token:{company.token_id}"),
                source="scim",
            )
            ids.append(str(written.person["id"]))
        return ids

    return company.call(make)


def test_import_pages_through_everyone_in_a_stable_order(company: Company) -> None:
    ids = _seed(company, 250)
    seen: list[str] = []
    start = 1
    while True:
        body = search(company, f"startIndex={start}&count=100")
        assert body["totalResults"] == 250
        assert body["startIndex"] == start
        assert "Resources" in body
        for user in body["Resources"]:
            assert_good_id(user["id"])
            assert user["userName"] and isinstance(user["active"], bool)
            assert user["name"]["givenName"] and user["name"]["familyName"]
            assert isinstance(user["emails"], list)
            assert [e["primary"] for e in user["emails"] if e.get("primary")] == [True]
        seen.extend(u["id"] for u in body["Resources"])
        if start + 100 > body["totalResults"]:
            assert body["itemsPerPage"] == 50
            break
        assert body["itemsPerPage"] == 100
        start += 100
    assert len(seen) == len(set(seen)) == 250
    assert set(seen) == set(ids)
    # The same pages again give the same order.
    again = [u["id"] for u in search(company, "startIndex=101&count=100")["Resources"]]
    assert again == seen[100:200]
    # Deactivated people are listed too (Okta's import skips them itself).
    assert sum(1 for _ in ids[::7]) == user_count(company, "active eq false")


def test_an_import_continues_after_the_last_id_instead_of_skipping_rows(
    company: Company,
) -> None:
    """Okta asks for startIndex 1, 101, 201, ...: each next page seeks past the previous
    page's last id (cost independent of depth); a page asked out of sequence skips rows.
    Both give the same people."""
    _seed(company, 30)
    cold = [u["id"] for u in search(company, "startIndex=21&count=10")["Resources"]]
    pages = []
    for start in (1, 11, 21):
        with count_queries(company) as statements:
            pages.append(
                [u["id"] for u in search(company, f"startIndex={start}&count=10")["Resources"]]
            )
        page = next(s for s in statements if "FROM people" in s and "LIMIT" in s)
        if start == 1:
            assert " > " not in page
        else:
            assert re.search(r"people\.id > ", page), page
    assert pages[2] == cold
    assert len({i for p in pages for i in p}) == 30


def user_count(company: Company, filter_text: str) -> int:
    return int(search(company, {"filter": filter_text, "count": "0"})["totalResults"])


def test_count_zero_gives_total_only_and_connection_test(company: Company) -> None:
    _seed(company, 5)
    body = search(company, "startIndex=1&count=0")
    assert body["totalResults"] == 5
    assert body["itemsPerPage"] == 0
    assert body["Resources"] == []
    body = search(company, payload("okta", "lookup_queries")["connection_test"])
    assert body["totalResults"] == 5 and body["itemsPerPage"] == 2
    past_the_end = search(company, "startIndex=20&count=100")
    assert past_the_end["totalResults"] == 5 and past_the_end["Resources"] == []
    assert_scim_error(company.client.get("/Users?count=abc"), 400, "invalidValue")
