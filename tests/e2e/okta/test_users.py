"""Okta's user lifecycle, replayed from its recorded request shapes (tests/idp/okta)."""

from __future__ import annotations

import copy
import re
from typing import Any

from roster.directory import people
from roster.directory.people import Actor
from roster.model.registry import UserSchemas
from roster.scim.users import parse_user
from roster.store.db import Database
from tests.support.harness import Company
from tests.support.helpers import count_queries
from tests.support.users import (
    CORE_USER,
    ENTERPRISE,
    FIFTEEN_FIVE,
    assert_good_id,
    assert_scim_error,
    audit_events,
    company_ext,
    create,
    create_named,
    enterprise,
    get,
    okta_user,
    password_hash,
    patch,
    patched,
    payload,
    search,
)

# ---------------------------------------------------------------------------
# Lookup before create (Part 3 #1, #2)


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


# ---------------------------------------------------------------------------
# Create (Part 3 #3, #4)


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


# ---------------------------------------------------------------------------
# Read (Part 3 #5)


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
    report = create(other_company, body)
    assert "manager" not in enterprise(report)
    body = okta_user("report2@okta.local")
    body[ENTERPRISE] = {"manager": {"value": "test.user@okta.local"}}
    assert "manager" not in enterprise(create(other_company, body))


# ---------------------------------------------------------------------------
# Deactivate and reactivate (Part 3 #7, #8)


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


def test_pathless_patch_with_dotted_and_urn_keys(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    after = patched(
        company,
        user["id"],
        {
            "op": "replace",
            "value": {
                "name.givenName": "Changed",
                "title": "Lead",
                ENTERPRISE: {"department": "Sales"},
                f"{FIFTEEN_FIVE}:location": "Paris, , FR",
            },
        },
    )
    assert after["name"] == {"givenName": "Changed", "familyName": "User"}
    assert after["title"] == "Lead"
    assert enterprise(after)["department"] == "Sales"
    assert company_ext(after)["location"] == "Paris, FR"


def test_patch_add_replace_remove(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    after = patched(
        company,
        user["id"],
        {"op": "add", "path": "title", "value": "Engineer"},
        {"op": "add", "path": "phoneNumbers", "value": [{"value": "+1 415 555 0100"}]},
        {"op": "replace", "path": "name.familyName", "value": "Person"},
        {"op": "remove", "path": "locale"},
    )
    assert after["title"] == "Engineer"
    assert after["phoneNumbers"] == [{"value": "+1 415 555 0100"}]
    assert after["name"]["familyName"] == "Person"
    assert "locale" not in after
    after = patched(company, user["id"], {"op": "remove", "path": "title"})
    assert "title" not in after


def test_patch_emails_a_new_primary_replaces_the_old(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    after = patched(
        company,
        user["id"],
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "t.u@home.example", "type": "home", "primary": True}],
        },
    )
    assert after["emails"] == [
        {"value": "test.user@okta.local", "type": "work"},
        {"value": "t.u@home.example", "type": "home", "primary": True},
    ]
    # The primary email is what uniqueness and manager references use.
    assert search(company, {"filter": 'emails.value eq "t.u@home.example"'})["totalResults"] == 1
    after = patched(company, user["id"], {"op": "remove", "path": 'emails[type eq "home"]'})
    assert after["emails"] == [{"value": "test.user@okta.local", "type": "work", "primary": True}]
    create_named(company, "t.u@home.example")  # the address is free again


def test_patch_errors_change_nothing(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    r = patch(
        company,
        user["id"],
        {"op": "replace", "path": "title", "value": "Should not stick"},
        {"op": "replace", "path": "active", "value": "maybe"},
    )
    body = assert_scim_error(r, 400, "invalidValue")
    assert "active" in body["detail"]
    assert "title" not in get(company, user["id"])
    assert_scim_error(patch(company, user["id"], {"op": "jump", "path": "title"}), 400)
    assert_scim_error(patch(company, user["id"], {"op": "remove"}), 400, "noTarget")
    r = company.client.patch(f"/Users/{user['id']}", json={"schemas": [], "Operations": []})
    assert_scim_error(r, 400)


# ---------------------------------------------------------------------------
# PUT echoing the server's representation (Part 3 #9, #18)


def test_put_echoing_server_representation(company: Company) -> None:
    user = create(company, payload("okta", "create_user_2019"))
    # Okta's captured PUT: id, meta with its own date format and version, password, groups.
    body = payload("okta", "put_user", id=user["id"])
    body["title"] = "Director"
    r = company.client.put(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["id"] == user["id"]
    assert after["title"] == "Director"
    assert after["externalId"] == "00uq2kqg7YTkFo3cY0g3"
    assert after["meta"]["created"] == user["meta"]["created"]
    assert after["meta"]["version"] != user["meta"]["version"]
    assert "password" not in after


def test_put_of_get_result_with_changes_and_aiw_deactivation(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    current = get(company, user["id"])
    current["name"]["givenName"] = "Renamed"
    current["emails"][0]["display"] = "Test User"
    current["active"] = False
    current["password"] = "new-placeholder"
    r = company.client.put(f"/Users/{user['id']}", json=current)
    assert r.status_code == 200, r.text
    assert r.json()["name"]["givenName"] == "Renamed"
    assert r.json()["active"] is False
    current = get(company, user["id"])
    current["active"] = True
    assert company.client.put(f"/Users/{user['id']}", json=current).json()["active"] is True


def test_put_of_unchanged_representation_changes_nothing(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    current = get(company, user["id"])
    r = company.client.put(f"/Users/{user['id']}", json=current)
    assert r.status_code == 200
    assert r.json()["meta"]["version"] == current["meta"]["version"]


def test_repeated_put_with_the_same_password_writes_nothing(company: Company) -> None:
    user = create(company, payload("okta", "create_user_2019"))
    first = company.client.put(
        f"/Users/{user['id']}", json=payload("okta", "put_user", id=user["id"])
    )
    assert first.status_code == 200
    hashed = password_hash(company, user["id"])
    again = company.client.put(
        f"/Users/{user['id']}", json=payload("okta", "put_user", id=user["id"])
    )
    assert again.status_code == 200
    assert again.json()["meta"]["version"] == first.json()["meta"]["version"]
    assert password_hash(company, user["id"]) == hashed
    assert [e["action"] for e in audit_events(company, user["id"])] == [
        "person.replace",
        "person.create",
    ]


def test_put_with_a_body_id_of_another_user_changes_only_the_url_user(company: Company) -> None:
    a = create_named(company, "a@okta.local")
    b = create_named(company, "b@okta.local")
    body = get(company, a["id"])
    body["id"] = b["id"]
    body["title"] = "Only A"
    r = company.client.put(f"/Users/{a['id']}", json=body)
    assert r.status_code == 200
    assert r.json()["id"] == a["id"]
    assert "title" not in get(company, b["id"])


def test_push_empty_values_does_not_error(company: Company) -> None:
    user = create(company, payload("okta", "create_user_extensions"))
    body = get(company, user["id"])
    body["title"] = ""
    body["displayName"] = ""
    body["locale"] = ""
    body["name"]["middleName"] = ""
    body["phoneNumbers"] = [{"value": "", "type": "work"}]
    body[ENTERPRISE] = {"department": "", "employeeNumber": "", "manager": {"value": ""}}
    body[FIFTEEN_FIVE] = {"startDate": "", "location": "", "customdepartmentCode": ""}
    r = company.client.put(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200, r.text
    after = r.json()
    for key in ("title", "displayName", "locale", "phoneNumbers"):
        assert key not in after, key
    assert ENTERPRISE not in after or "department" not in after[ENTERPRISE]
    assert "startDate" not in company_ext(after)
    assert "location" not in company_ext(after)
    assert "customdepartmentCode" not in company_ext(after)
    # Omitting optional attributes in a PUT clears them too, without error.
    minimal = okta_user("ext.user@okta.local", "Ext", "User")
    minimal.pop("locale")
    minimal.pop("displayName")
    r = company.client.put(f"/Users/{user['id']}", json=minimal)
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------
# Import paging (Part 3 #10)


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


# ---------------------------------------------------------------------------
# Extensions (Part 3 #16): enterprise, 15Five dates, location, custom attributes


def test_create_with_extension_objects(company: Company) -> None:
    user = create(company, payload("okta", "create_user_extensions"))
    assert set(user["schemas"]) == {CORE_USER, ENTERPRISE, FIFTEEN_FIVE}
    assert user["title"] == "Engineer"
    assert enterprise(user) == {
        "employeeNumber": "E-1001",
        "department": "Engineering",
        "costCenter": "CC-7",
        "organization": "Acme",
        "division": "R&D",
    }
    ext = company_ext(user)
    assert ext["startDate"] == "2026-03-15"  # MM/DD/YYYY
    assert ext["hireDate"] == "2025-11-02"  # ISO 8601 date-time
    assert "terminationDate" not in ext  # "" is no value
    assert ext["location"] == "US"  # ", , US"
    assert ext["customdepartmentCode"] == "ENG-42"
    assert get(company, user["id"])[FIFTEEN_FIVE] == ext


def test_dates_in_every_accepted_format(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    for sent, kept in (
        ("2026-01-31", "2026-01-31"),
        ("01/31/2026", "2026-01-31"),
        ("2026-02-01T23:30:00Z", "2026-02-01"),
        ("2026-02-02T08:00:00.000+02:00", "2026-02-02"),
    ):
        after = patched(
            company,
            user["id"],
            {"op": "replace", "path": f"{FIFTEEN_FIVE}:hireDate", "value": sent},
        )
        assert company_ext(after)["hireDate"] == kept, sent


def test_bad_date_is_400_naming_the_attribute_and_formats(company: Company) -> None:
    body = payload("okta", "create_user")
    body["schemas"].append(FIFTEEN_FIVE)
    body[FIFTEEN_FIVE] = {"startDate": "31/01/2026"}
    err = assert_scim_error(company.client.post("/Users", json=body), 400, "invalidValue")
    assert "startDate" in err["detail"]
    assert "MM/DD/YYYY" in err["detail"] and "YYYY-MM-DD" in err["detail"]
    assert search(company, payload("okta", "lookup_queries")["percent20"])["totalResults"] == 0
    user = create(company, payload("okta", "create_user_2019"))
    r = patch(company, user["id"], {"op": "replace", "value": {f"{FIFTEEN_FIVE}:hireDate": "soon"}})
    assert "hireDate" in assert_scim_error(r, 400, "invalidValue")["detail"]


def test_location_parts(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    path = f"{FIFTEEN_FIVE}:location"
    for sent, kept in (
        ("San Francisco, CA, US", "San Francisco, CA, US"),
        (", CA, US", "CA, US"),
        ("Berlin, , DE", "Berlin, DE"),
    ):
        after = patched(company, user["id"], {"op": "replace", "path": path, "value": sent})
        assert company_ext(after)["location"] == kept
    after = patched(company, user["id"], {"op": "replace", "path": path, "value": ", , "})
    assert "location" not in company_ext(after)


def test_custom_attribute_registered_on_first_use(company: Company) -> None:
    schema_url = f"/Schemas/{FIFTEEN_FIVE}"
    names = {a["name"] for a in company.client.get(schema_url).json()["attributes"]}
    assert "customdepartmentCode" not in names
    user = create(company, payload("okta", "create_user_extensions"))
    described = company.client.get(schema_url).json()
    attr = next(a for a in described["attributes"] if a["name"] == "customdepartmentCode")
    assert attr["type"] == "string"
    listed = company.client.get("/Schemas").json()["Resources"]
    ext = next(s for s in listed if s["id"] == FIFTEEN_FIVE)
    assert "customdepartmentCode" in {a["name"] for a in ext["attributes"]}
    # Filterable right away, under its URN-qualified and bare name.
    found = search(company, {"filter": f'{FIFTEEN_FIVE}:customdepartmentCode eq "eng-42"'})
    assert [u["id"] for u in found["Resources"]] == [user["id"]]
    found = search(company, {"filter": 'customdepartmentCode sw "ENG"'})
    assert found["totalResults"] == 1
    # Registered once, for this company only.
    second = okta_user("second@okta.local")
    second[FIFTEEN_FIVE] = {"customDepartmentCode": "OPS-1"}
    other = create(company, second)
    assert company_ext(other) == {"customdepartmentCode": "OPS-1"}
    attrs = company.client.get(schema_url).json()["attributes"]
    assert [a["name"] for a in attrs].count("customdepartmentCode") == 1
    notes = [n for e in audit_events(company, user["id"]) for n in e["notes"] or []]
    assert any("registered custom attribute customdepartmentCode" in n for n in notes)


def test_custom_attribute_names_must_be_usable_everywhere(company: Company) -> None:
    body = payload("okta", "create_user")
    body[FIFTEEN_FIVE] = {
        "customCost_Code2": "A1",
        "custom dept": "x",
        "custom-region": "y",
        "custom": "z",
        "customé": "w",
    }
    user = create(company, body)
    assert company_ext(user) == {"customCost_Code2": "A1"}
    names = {a["name"] for a in company.client.get(f"/Schemas/{FIFTEEN_FIVE}").json()["attributes"]}
    assert {n for n in names if n.lower().startswith("custom")} == {"customCost_Code2"}
    notes = " ".join(n for e in audit_events(company, user["id"]) for n in e["notes"] or [])
    assert "custom dept" in notes and "custom-region" in notes
    # Registered through a PATCH too, and filterable at once.
    after = patched(
        company, user["id"], {"op": "add", "path": f"{FIFTEEN_FIVE}:customSite", "value": "HQ"}
    )
    assert company_ext(after)["customSite"] == "HQ"
    assert search(company, {"filter": 'customSite eq "hq"'})["totalResults"] == 1


def test_custom_attribute_defined_ahead_keeps_its_type(company: Company) -> None:
    from roster.directory import tenants

    company.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customHeadcount", "number")
    )
    body = payload("okta", "create_user")
    body[FIFTEEN_FIVE] = {"customHeadcount": "12"}
    user = create(company, body)
    assert company_ext(user)["customHeadcount"] == 12
    assert search(company, {"filter": "customHeadcount gt 10"})["totalResults"] == 1
    assert search(company, {"filter": "customHeadcount lt 10"})["totalResults"] == 0
    r = patch(
        company, user["id"], {"op": "replace", "value": {FIFTEEN_FIVE: {"customHeadcount": "x"}}}
    )
    assert "customHeadcount" in assert_scim_error(r, 400, "invalidValue")["detail"]


def test_unknown_attributes_and_extensions_are_ignored_and_noted(company: Company) -> None:
    body = payload("okta", "create_user")
    body["nickName"] = "Testy"
    body["urn:example:params:scim:schemas:extension:acme:2.0:User"] = {"badge": "7"}
    body["schemas"].append("urn:example:params:scim:schemas:extension:acme:2.0:User")
    body[FIFTEEN_FIVE] = {"favouriteColour": "blue"}
    user = create(company, body)
    assert "nickName" not in user
    assert "urn:example:params:scim:schemas:extension:acme:2.0:User" not in user
    assert FIFTEEN_FIVE not in user
    names = {a["name"] for a in company.client.get(f"/Schemas/{FIFTEEN_FIVE}").json()["attributes"]}
    assert "favouriteColour" not in names
    notes = " ".join(n for e in audit_events(company, user["id"]) for n in e["notes"] or [])
    assert "nickname" in notes.lower()
    assert "acme" in notes
    assert "favouriteColour" in notes


def test_timezone_from_okta_is_ignored(company: Company) -> None:
    body = payload("okta", "create_user")
    body["timezone"] = "America/Los_Angeles"
    user = create(company, body)
    assert "timezone" not in user
    after = patched(company, user["id"], {"op": "replace", "path": "timezone", "value": "UTC"})
    assert "timezone" not in after
