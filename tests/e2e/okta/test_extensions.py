"""Okta's extension attributes (Part 3 #16), replayed from its recorded requests
(tests/idp/okta): enterprise, 15Five dates in every accepted format, location parts,
custom attributes registered on first use; unknown attributes ignored and noted; Okta's
timezone ignored."""

from __future__ import annotations

from tests.support.harness import Company
from tests.support.users import (
    CORE_USER,
    ENTERPRISE,
    FIFTEEN_FIVE,
    assert_scim_error,
    audit_events,
    company_ext,
    create,
    enterprise,
    get,
    okta_user,
    patch,
    patched,
    payload,
    search,
)


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


def test_unknown_attributes_and_extensions_are_accepted_and_noted(company: Company) -> None:
    body = payload("okta", "create_user")
    body["nickName"] = "Testy"  # a core attribute: kept
    body["favoriteColor"] = "green"  # in no schema: accepted, noted
    body["urn:example:params:scim:schemas:extension:acme:2.0:User"] = {"badge": "7"}
    body["schemas"].append("urn:example:params:scim:schemas:extension:acme:2.0:User")
    body[FIFTEEN_FIVE] = {"favouriteColour": "blue"}
    user = create(company, body)
    assert user["nickName"] == "Testy"
    assert "favoriteColor" not in user
    assert "urn:example:params:scim:schemas:extension:acme:2.0:User" not in user
    assert FIFTEEN_FIVE not in user
    names = {a["name"] for a in company.client.get(f"/Schemas/{FIFTEEN_FIVE}").json()["attributes"]}
    assert "favouriteColour" not in names
    notes = " ".join(n for e in audit_events(company, user["id"]) for n in e["notes"] or [])
    assert "not kept: favoriteColor" in notes and "nickName" not in notes
    assert "not kept: urn:example:params:scim:schemas:extension:acme:2.0:User:badge" in notes
    assert f"not kept: {FIFTEEN_FIVE}:favouriteColour" in notes


def test_timezone_from_okta_is_ignored(company: Company) -> None:
    body = payload("okta", "create_user")
    body["timezone"] = "America/Los_Angeles"
    user = create(company, body)
    assert "timezone" not in user
    after = patched(company, user["id"], {"op": "replace", "path": "timezone", "value": "UTC"})
    assert "timezone" not in after
