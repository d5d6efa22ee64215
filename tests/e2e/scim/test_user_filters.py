"""Filters on /Users (RFC 7644 §3.4.2.2): every operator, logic and grouping, caseExact,
substrings of dates and numbers, LIKE wildcards taken literally, value paths and URNs,
custom attributes, the manager; bad and too long filters; and what
/ServiceProviderConfig claims."""

from __future__ import annotations

from typing import Any

from roster.directory import tenants
from tests.support.harness import Company
from tests.support.users import (
    ENTERPRISE,
    FIFTEEN_FIVE,
    assert_scim_error,
    company_ext,
    create,
    create_named,
    okta_user,
    search,
    user_names,
    with_manager,
)


def _names(company: Company, filter_text: str, **params: Any) -> list[str]:
    return sorted(n.split("@")[0].lower() for n in user_names(company, filter_text, **params))


def test_filter_every_operator(crew: Company) -> None:
    c = crew
    assert _names(c, 'userName eq "ALICE@example.com"') == ["alice"]
    assert _names(c, 'userName ne "alice@example.com"') == ["bob", "carol", "dave", "eve"]
    assert _names(c, 'userName co "SALES"') == ["carol"]
    assert _names(c, 'userName sw "e"') == ["eve"]
    assert _names(c, 'userName ew ".org"') == ["carol"]
    assert _names(c, 'name.familyName gt "X"') == ["alice", "bob", "carol"]
    assert _names(c, 'name.familyName ge "Xu"') == ["alice", "bob", "carol"]
    assert _names(c, 'name.familyName lt "X"') == ["dave", "eve"]
    assert _names(c, 'name.familyName le "Walker"') == ["dave", "eve"]
    assert _names(c, "title pr") == ["alice", "bob", "carol", "eve"]
    assert _names(c, "title eq null") == ["dave"]
    assert _names(c, 'title eq "engineer"') == ["alice", "eve"]
    assert _names(c, 'title ne "engineer"') == ["bob", "carol", "dave"]


def test_filter_logic_grouping_and_not(crew: Company) -> None:
    c = crew
    assert _names(c, 'title eq "engineer" and active eq true') == ["alice"]
    assert _names(c, 'userName sw "a" or userName sw "b"') == ["alice", "bob"]
    assert _names(c, 'active eq false and (userName sw "c" or userName sw "e")') == [
        "carol",
        "eve",
    ]
    assert _names(c, '(active eq false and userName sw "c") or userName sw "e"') == [
        "carol",
        "eve",
    ]
    assert _names(c, 'active eq false and userName sw "c" or userName sw "b"') == [
        "bob",
        "carol",
    ]
    assert _names(c, "not (title pr)") == ["dave"]
    assert _names(c, 'not (title eq "engineer")') == ["bob", "carol", "dave"]
    assert _names(c, 'not(userName sw "a") and not (active eq false)') == ["bob", "dave"]
    assert _names(c, 'USERNAME EQ "bob@example.com" AND Active Eq True') == ["bob"]
    assert _names(c, 'name.GIVENNAME eq "carol"') == ["carol"]


def test_case_exact_attributes_compare_case_exactly_on_every_database(crew: Company) -> None:
    c = crew
    assert _names(c, 'employeeNumber sw "e-"') == []
    assert _names(c, 'employeeNumber sw "E-"') == ["alice", "bob", "carol", "eve"]
    assert _names(c, 'employeeNumber co "e"') == []
    assert _names(c, 'employeeNumber ew "-3"') == ["carol"]
    assert _names(c, 'externalId co "ALICE"') == []
    assert _names(c, 'externalId co "alice"') == ["alice"]
    assert _names(c, 'employeeNumber gt "E-3"') == ["eve"]
    # caseExact=false attributes ignore case for every operator.
    assert _names(c, 'title sw "ENGINEER"') == ["alice", "eve"]
    assert _names(c, 'name.familyName ew "ER"') == ["dave"]


def test_substring_operators_on_dates_and_numbers(crew: Company) -> None:
    c = crew
    assert _names(c, 'startDate sw "2025-"') == ["bob"]
    assert _names(c, 'startDate ew "-03"') == ["dave"]
    assert _names(c, 'startDate co "-12-"') == ["eve"]
    for text in ('meta.created co "20"', 'meta.lastModified sw "2"'):
        r = c.client.get("/Users", params={"filter": text})
        assert "date-time" in assert_scim_error(r, 400, "invalidFilter")["detail"]
    c.call(lambda db: tenants.add_custom_attribute(db, c.subdomain, "customScore", "number"))
    r = c.client.get("/Users", params={"filter": "customScore co 1"})
    assert_scim_error(r, 400, "invalidFilter")


def test_filter_co_percent_is_literal(crew: Company) -> None:
    assert _names(crew, 'title co "50%"') == ["bob"]
    assert _names(crew, 'title co "%"') == ["bob"]
    assert _names(crew, 'title co "_"') == []
    assert _names(crew, 'userName co "%"') == []
    assert _names(crew, 'title sw "50% M"') == ["bob"]


def test_filter_value_paths_urns_and_typed_attributes(crew: Company) -> None:
    c = crew
    assert _names(c, 'emails[value eq "BOB@example.com"]') == ["bob"]
    assert _names(c, 'emails.value ew "example.com"') == ["alice", "bob", "dave", "eve"]
    assert _names(c, 'emails[value sw "a" or value sw "d"]') == ["alice", "dave"]
    assert _names(c, f'{ENTERPRISE}:employeeNumber eq "E-3"') == ["carol"]
    assert _names(c, 'employeeNumber eq "e-3"') == []  # caseExact
    assert _names(c, "employeeNumber pr") == ["alice", "bob", "carol", "eve"]
    assert _names(
        c, 'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "dave@example.com"'
    ) == ["dave"]
    assert _names(c, f'{FIFTEEN_FIVE}:startDate gt "2024-06-01"') == ["bob", "eve"]
    assert _names(c, 'startDate le "2024-01-15"') == ["alice", "dave"]
    assert _names(c, "startDate pr") == ["alice", "bob", "dave", "eve"]
    assert _names(c, 'customLevel eq "cc"') == ["carol"]
    assert _names(c, 'customLevel ge "CC"') == ["carol", "dave", "eve"]
    assert _names(c, "active eq false") == ["carol", "eve"]
    assert _names(c, 'active eq "False"') == ["carol", "eve"]
    assert _names(c, 'meta.created gt "2000-01-01T00:00:00Z"') == [
        "alice",
        "bob",
        "carol",
        "dave",
        "eve",
    ]
    assert _names(c, 'meta.lastModified lt "2000-01-01T00:00:00Z"') == []
    assert _names(c, 'meta.created gt "2000-01-01"') == ["alice", "bob", "carol", "dave", "eve"]
    alice = search(c, {"filter": 'userName eq "alice@example.com"'})["Resources"][0]
    assert _names(c, f'id eq "{alice["id"]}"') == ["alice"]
    assert _names(c, f'externalId eq "{alice["externalId"]}"') == ["alice"]


def test_custom_attribute_types_filter_and_sort(company: Company) -> None:
    for name, type_ in (("customRemote", "boolean"), ("customAnniversary", "date")):
        company.call(
            lambda db, n=name, t=type_: tenants.add_custom_attribute(db, company.subdomain, n, t)
        )
    for user_name, remote, anniversary, level in (
        ("a@example.com", "True", "03/01/2021", "b"),
        ("b@example.com", False, "2019-07-04", "c"),
        ("c@example.com", None, None, "a"),
    ):
        body = okta_user(user_name)
        body[FIFTEEN_FIVE] = {
            "customRemote": remote,
            "customAnniversary": anniversary,
            "customLevel": level,
        }
        user = create(company, body)
    assert company_ext(user) == {"customLevel": "a"}
    a = search(company, {"filter": 'userName eq "a@example.com"'})["Resources"][0]
    assert company_ext(a)["customRemote"] is True
    assert company_ext(a)["customAnniversary"] == "2021-03-01"
    assert _names(company, "customRemote eq true") == ["a"]
    assert _names(company, "customRemote eq false") == ["b"]
    assert _names(company, "customRemote pr") == ["a", "b"]
    assert _names(company, "not (customRemote pr)") == ["c"]
    assert _names(company, 'customAnniversary gt "2020-01-01"') == ["a"]
    assert _names(company, 'customAnniversary lt "2020-01-01"') == ["b"]
    body = search(company, {"sortBy": "customLevel"})
    assert [u["userName"] for u in body["Resources"]] == [
        "c@example.com",
        "a@example.com",
        "b@example.com",
    ]
    assert_scim_error(company.client.get("/Users", params={"filter": "customRemote gt 1"}), 400)


def test_filters_on_the_manager(company: Company) -> None:
    boss = create_named(company, "boss@example.com")
    create(company, with_manager("report@example.com", boss["id"]))
    for text in (
        f'manager.value eq "{boss["id"]}"',
        f'{ENTERPRISE}:manager.value eq "{boss["id"]}"',
        f'manager eq "{boss["id"]}"',
        "manager pr",
    ):
        assert _names(company, text) == ["report"], text
    assert _names(company, "not (manager pr)") == ["boss"]


def test_too_long_filter_is_400(company: Company) -> None:
    long_filter = " or ".join(f'userName eq "u{i}@example.com"' for i in range(200))
    assert len(long_filter) > 4096
    r = company.client.get("/Users", params={"filter": long_filter})
    assert "4096" in assert_scim_error(r, 400, "invalidFilter")["detail"]


def test_service_provider_config_tells_the_truth(company: Company) -> None:
    spc = company.client.get("/ServiceProviderConfig").json()
    assert spc["patch"]["supported"] is True
    assert spc["filter"]["supported"] is True
    assert spc["filter"]["maxResults"] == company.server.settings.max_page_size
    assert spc["sort"]["supported"] is True
    assert spc["etag"]["supported"] is True
    assert spc["bulk"]["supported"] is False
    assert spc["changePassword"]["supported"] is True  # PUT/PATCH password, SSO off
    assert spc["pagination"]["cursor"] is True and spc["pagination"]["index"] is True
    assert spc["pagination"]["defaultPageSize"] == company.server.settings.default_page_size
    # Each claim holds: a filter, a sort, an ETag, a cursor.
    create_named(company, "spc@example.com")
    assert search(company, {"filter": "userName pr", "sortBy": "userName"})["totalResults"] == 1
    assert search(company, {"cursor": ""})["totalResults"] == 1
    user = search(company, {})["Resources"][0]
    assert company.client.get(f"/Users/{user['id']}").headers["etag"] == user["meta"]["version"]
    r = company.client.post("/Bulk", json={})
    assert r.status_code in (404, 405, 501)


def test_bad_filters_are_400_invalid_filter(crew: Company) -> None:
    for text in (
        'favoriteColor eq "x"',
        'addresses.locality eq "x"',
        'userName xx "x"',
        'userName eq "unterminated',
        "(userName pr",
        'groups eq "x"',
        "active gt true",
        'meta.created gt "yesterday"',
        'userName eq "a" and',
        "not userName pr",
    ):
        r = crew.client.get("/Users", params={"filter": text})
        assert_scim_error(r, 400, "invalidFilter")
