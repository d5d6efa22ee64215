"""Okta's lookup before create (Part 3 #1, #2) and reads by id (#5), replayed from its
recorded requests (tests/idp/okta): a miss is an empty list with integer counters, both
query encodings hit, case is ignored and kept; odd ids are clean 404s, no listed id is
empty, and one company's token sees none of another's people."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Company
from tests.support.users import (
    ENTERPRISE,
    assert_good_id,
    assert_scim_error,
    create,
    create_named,
    enterprise,
    get,
    okta_user,
    payload,
    search,
)


def test_lookup_miss_is_an_empty_list_with_integer_counters(company: Company) -> None:
    queries = payload("okta", "lookup_queries")
    for key in ("percent20", "plus", "spec_raw"):
        body = search(company, queries[key])
        assert body["totalResults"] == 0
        assert body["Resources"] == []
        assert body["startIndex"] == 1


def test_lookup_hit_with_percent20_and_plus_encoding(company: Company) -> None:
    queries = payload("okta", "lookup_queries")
    test_user = create(company, payload("okta", "create_user"))
    jane = create(company, payload("okta", "create_user_2019"))
    hit = search(company, queries["percent20"])
    assert hit["totalResults"] == 1
    assert [u["id"] for u in hit["Resources"]] == [test_user["id"]]
    hit = search(company, queries["plus"])
    assert [u["id"] for u in hit["Resources"]] == [jane["id"]]
    assert hit["startIndex"] == 1 and hit["itemsPerPage"] == 1


def test_lookup_ignores_case_and_keeps_original_case(company: Company) -> None:
    spec = payload("okta", "spec_create_user")
    created = create(company, spec)
    assert created["userName"] == "Runscope123Abcdefghi456@atko.com"
    caps = search(company, 'filter=userName eq "RUNSCOPE123ABCDEFGHI456@ATKO.COM"')
    assert [u["id"] for u in caps["Resources"]] == [created["id"]]
    assert caps["Resources"][0]["userName"] == "Runscope123Abcdefghi456@atko.com"
    lower = search(company, {"filter": 'userName eq "runscope123abcdefghi456@atko.com"'})
    assert lower["totalResults"] == 1


def test_unknown_none_and_odd_ids_are_clean_404s(company: Company) -> None:
    create(company, payload("okta", "create_user"))
    for user_id in (
        "010101001010101011001010101011",
        "00919288221112222",
        "None",
        "null",
        "x" * 200,
    ):
        body = assert_scim_error(company.client.get(f"/Users/{user_id}"), 404)
        assert body["detail"]
    for method in ("put", "patch", "delete"):
        kwargs: dict[str, Any] = {}
        if method == "put":
            kwargs["json"] = payload("okta", "create_user")
        if method == "patch":
            kwargs["json"] = payload("okta", "deactivate_user")
        assert_scim_error(company.client.request(method, "/Users/None", **kwargs), 404)


def test_no_listed_user_ever_has_an_empty_or_none_id(company: Company) -> None:
    for i in range(3):
        create_named(company, f"user{i}@okta.local")
    body = search(company, payload("okta", "lookup_queries")["import_first_page"])
    assert body["totalResults"] == 3
    for user in body["Resources"]:
        assert_good_id(user["id"])


def test_one_companys_token_cannot_see_anothers_users(
    company: Company, other_company: Company
) -> None:
    user = create(company, payload("okta", "create_user"))
    assert_scim_error(other_company.client.get(f"/Users/{user['id']}"), 404)
    assert (
        search(other_company, payload("okta", "lookup_queries")["percent20"])["totalResults"] == 0
    )
    assert_scim_error(
        other_company.client.patch(f"/Users/{user['id']}", json=payload("okta", "deactivate_user")),
        404,
    )
    assert get(company, user["id"])["active"] is True
    # A manager reference to another company's person is never resolved.
    body = okta_user("report@okta.local")
    body[ENTERPRISE] = {"manager": {"value": user["id"]}}
    # (It stays a pending reference, echoed as sent: no $ref, no displayName.)
    report = create(other_company, body)
    assert enterprise(report)["manager"] == {"value": user["id"]}
    body = okta_user("report2@okta.local")
    body[ENTERPRISE] = {"manager": {"value": "test.user@okta.local"}}
    pending = enterprise(create(other_company, body))["manager"]
    assert pending == {"value": "test.user@okta.local"}
