"""Keep what an identity provider sends (decision 0017): RFC 7643's full example User
is read back equal on every attribute Roster keeps, from every answer that shows a
User; the complex multi-valued attributes are PATCHable by value path; the single-
valued ones filter and sort; bad values are 400 invalidValue naming the attribute and
change nothing; an attribute in no schema is accepted and noted, never kept."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.harness import Company
from tests.support.helpers import count_queries
from tests.support.users import (
    assert_scim_error,
    audit_events,
    create,
    get,
    patch,
    patched,
    payload,
    search,
    user_names,
)

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
# What a User body carries that Roster assigns, derives or owns: never read back as sent.
NOT_ECHOED = {"id", "meta", "schemas", "password", "groups", "timezone"}
KEPT_LISTS = ("addresses", "ims", "photos", "entitlements", "roles", "x509Certificates")


def full_user() -> dict[str, Any]:
    body: dict[str, Any] = payload("rfc7643", "full_user")
    # §8.2 has no entitlements or roles; RFC 7643 §4.1.2 defines them like ims.
    body["entitlements"] = [{"value": "tour-bus", "display": "Tour bus", "primary": True}]
    body["roles"] = [{"value": "guide", "type": "staff"}, {"value": "driver", "primary": False}]
    return body


def kept(sent: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sent.items() if k not in NOT_ECHOED}


def assert_reads_back(sent: dict[str, Any], user: dict[str, Any]) -> None:
    for key, value in kept(sent).items():
        assert user.get(key) == value, key


def test_the_rfc_full_user_is_read_back_equal(company: Company) -> None:
    sent = full_user()
    user = create(company, sent)
    assert_reads_back(sent, user)
    assert_reads_back(sent, get(company, user["id"]))
    (listed,) = search(company, {"filter": 'userName eq "bjensen@example.com"'})["Resources"]
    assert_reads_back(sent, listed)
    # A PUT of the same document changes nothing; a PUT without them clears them.
    put = company.client.put(f"/Users/{user['id']}", json=sent)
    assert put.status_code == 200 and put.json()["meta"]["version"] == user["meta"]["version"]
    assert_reads_back(sent, put.json())
    bare = {k: v for k, v in sent.items() if k not in ("nickName", *KEPT_LISTS)}
    cleared = company.client.put(f"/Users/{user['id']}", json=bare).json()
    assert "nickName" not in cleared and not set(KEPT_LISTS) & set(cleared)
    assert cleared["profileUrl"] == sent["profileUrl"]


def test_schemas_describe_every_kept_attribute(company: Company) -> None:
    core = company.client.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    by_name = {a["name"]: a for a in core["attributes"]}
    for name in ("nickName", "profileUrl", "userType", "preferredLanguage", "locale"):
        assert by_name[name]["multiValued"] is False and by_name[name]["mutability"] == (
            "readWrite"
        )
    assert by_name["profileUrl"]["type"] == "reference"
    assert by_name["profileUrl"]["referenceTypes"] == ["external"]
    name_subs = {s["name"] for s in by_name["name"]["subAttributes"]}
    assert {"honorificPrefix", "honorificSuffix"} <= name_subs
    for name in KEPT_LISTS:
        assert by_name[name]["type"] == "complex" and by_name[name]["multiValued"] is True
    address = {s["name"]: s for s in by_name["addresses"]["subAttributes"]}
    assert set(address) == {
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
        "type",
        "primary",
    }
    assert address["type"]["canonicalValues"] == ["work", "home", "other"]
    cert = {s["name"]: s for s in by_name["x509Certificates"]["subAttributes"]}
    assert cert["value"]["type"] == "binary"
    assert by_name["groups"]["mutability"] == "readOnly"


def test_patch_addresses_by_value_path(company: Company) -> None:
    sent = full_user()
    user = create(company, sent)
    uid = user["id"]
    # A sub-attribute of the value a filter selects.
    after = patched(
        company,
        uid,
        {"op": "replace", "path": 'addresses[type eq "work"].locality', "value": "Burbank"},
        {"op": "remove", "path": 'addresses[type eq "work"].postalCode'},
    )
    work, home = after["addresses"]
    assert work["locality"] == "Burbank" and "postalCode" not in work
    assert home == sent["addresses"][1]
    # Adding a value that has no `value` of its own: a second address is added, not
    # taken for the first.
    other = {"type": "other", "locality": "Pasadena", "country": "US"}
    after = patched(company, uid, {"op": "add", "path": "addresses", "value": [other]})
    assert after["addresses"] == [work, home, other]
    # The same value again is not added twice.
    again = patched(company, uid, {"op": "add", "path": "addresses", "value": [other]})
    assert again["addresses"] == after["addresses"]
    assert again["meta"]["version"] == after["meta"]["version"]
    # Remove one value, and a filter that matches none creates it (as for emails).
    after = patched(
        company,
        uid,
        {"op": "remove", "path": 'addresses[type eq "home"]'},
        {"op": "add", "path": 'addresses[type eq "home"].region', "value": "NV"},
    )
    assert after["addresses"] == [work, other, {"type": "home", "region": "NV"}]
    # Okta's path-less value object replaces the whole attribute.
    after = patched(company, uid, {"op": "replace", "value": {"addresses": [{"locality": "Reno"}]}})
    assert after["addresses"] == [{"locality": "Reno"}]
    assert get(company, uid)["addresses"] == [{"locality": "Reno"}]
    # A newly added primary replaces the old one.
    after = patched(
        company,
        uid,
        {"op": "add", "path": "roles", "value": [{"value": "lead", "primary": True}]},
        {"op": "add", "path": "roles", "value": [{"value": "chief", "primary": True}]},
    )
    primaries = [r["value"] for r in after["roles"] if r.get("primary")]
    assert primaries == ["chief"]
    # Remove the attribute.
    after = patched(company, uid, {"op": "remove", "path": "addresses"})
    assert "addresses" not in after and "addresses" not in get(company, uid)
    # Each change is in the audit trail.
    assert audit_events(company, uid)[0]["changes"]["multi_valued"]


def test_single_valued_attributes_filter_and_sort(company: Company) -> None:
    create(company, full_user())
    other = copy.deepcopy(full_user())
    other.update(
        userName="kjensen@example.com",
        emails=[{"value": "kjensen@example.com", "type": "work"}],
        nickName="Kim",
        userType="Contractor",
        profileUrl="https://login.example.com/KJensen",
        preferredLanguage="fr-CA",
        locale="fr-CA",
    )
    other["name"]["honorificPrefix"] = "Dr."
    create(company, other)
    b, k = ["bjensen@example.com"], ["kjensen@example.com"]
    assert user_names(company, 'nickName eq "babs"') == b  # caseExact false
    assert user_names(company, 'userType eq "Contractor"') == k
    assert user_names(company, 'userType sw "emp"') == b
    assert user_names(company, 'profileUrl co "/kjensen"') == k
    assert user_names(company, 'preferredLanguage eq "fr-CA" and locale eq "fr-ca"') == k
    assert user_names(company, 'name.honorificPrefix eq "Dr."') == k
    assert user_names(company, "nickName pr", sortBy="nickName") == b + k
    assert user_names(company, "nickName pr", sortBy="userType") == k + b  # Contractor first
    assert user_names(company, "nickName pr", sortBy="userType", sortOrder="descending") == b + k


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"nickName": "n" * 201}, "nickName"),
        ({"profileUrl": "https://x.example/" + "p" * 2048}, "profileUrl"),
        ({"userType": ["Employee"]}, "userType"),
        ({"name": {"honorificPrefix": "p" * 61}}, "name.honorificPrefix"),
        ({"addresses": [{"locality": "l" * 201}]}, "addresses[0].locality"),
        ({"addresses": "Hollywood"}, "addresses"),
        ({"addresses": [{"type": "work"}, "Hollywood"]}, "addresses[1]"),
        ({"addresses": [{"primary": "yes"}]}, "addresses[0].primary"),
        ({"ims": [{"value": {"handle": "x"}}]}, "ims[0].value"),
        ({"photos": [{"value": "https://p.example/" + "p" * 2048}]}, "photos[0].value"),
        ({"x509Certificates": [{"value": "not base64!"}]}, "x509Certificates[0].value"),
        ({"roles": [{"value": f"r{i}"} for i in range(51)]}, "roles"),
    ],
)
def test_bad_values_are_refused_naming_the_attribute(
    company: Company, body: dict[str, Any], named: str
) -> None:
    user = create(company, full_user())
    bad = {**full_user(), **body}
    if "name" in body:
        bad["name"] = {**full_user()["name"], **body["name"]}
    for response in (
        company.client.put(f"/Users/{user['id']}", json=bad),
        patch(
            company,
            user["id"],
            *({"op": "replace", "path": k, "value": v} for k, v in body.items()),
        ),
    ):
        error = assert_scim_error(response, 400, "invalidValue")
        assert named in error["detail"], error["detail"]
    assert get(company, user["id"]) == user  # nothing changed
    other = {**bad, "userName": "new@example.com", "emails": []}
    assert_scim_error(company.client.post("/Users", json=other), 400, "invalidValue")


def test_what_no_schema_has_is_accepted_and_noted(company: Company) -> None:
    sent = full_user()
    sent["favoriteColor"] = "green"
    sent["name"]["nameSuffix"] = "Sr."
    sent["addresses"][0]["floor"] = "3"
    sent["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["badge"] = "B-7"
    sent["urn:example:acme:2.0:User"] = {"shoeSize": 9, "unsent": None}
    user = create(company, sent)
    assert "favoriteColor" not in user and "nameSuffix" not in user["name"]
    assert "floor" not in user["addresses"][0]
    assert "urn:example:acme:2.0:User" not in user
    notes = audit_events(company, user["id"])[0]["notes"]
    for name in (
        "favoriteColor",
        "name.nameSuffix",
        "addresses.floor",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge",
        "urn:example:acme:2.0:User:shoeSize",
    ):
        assert any(n.startswith(f"not kept: {name} — ") for n in notes), (name, notes)
    assert not any("unsent" in n or "nickName" in n for n in notes)
    # A PATCH of an unknown attribute alone writes nothing and is noted all the same.
    before = len(audit_events(company, user["id"]))
    after = patched(company, user["id"], {"op": "add", "path": "favoriteColor", "value": "red"})
    assert after["meta"]["version"] == user["meta"]["version"]
    events = audit_events(company, user["id"])
    assert len(events) == before + 1 and events[0]["changes"] is None
    assert events[0]["notes"][0].startswith("not kept: favoriteColor — ")


def test_an_unknown_group_attribute_is_accepted_and_noted(company: Company) -> None:
    r = company.client.post(
        "/Groups",
        json={"schemas": [GROUP], "displayName": "Tour Guides", "description": "All guides"},
    )
    assert r.status_code == 201, r.text
    group = r.json()
    assert "description" not in group
    notes = audit_events(company, group["id"])[0]["notes"]
    assert notes[0].startswith("not kept: description — ")
    # A PATCH that changes nothing else is still noted.
    again = company.client.patch(
        f"/Groups/{group['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "description", "value": "x"}],
        },
    )
    assert again.status_code in (200, 204), again.text
    events = audit_events(company, group["id"])
    assert len(events) == 2 and events[0]["notes"][0].startswith("not kept: description — ")


def test_kept_attributes_cost_no_statement(company: Company) -> None:
    """GET and an import page read the kept attributes with the person's row: a page of
    fully filled people takes as many statements as a page of bare ones."""
    for i in range(5):
        bare = {"userName": f"bare{i}@example.com", "emails": [{"value": f"bare{i}@example.com"}]}
        create(company, bare)
    full = [
        create(
            company,
            {**full_user(), "userName": f"full{i}@example.com", "emails": [], "externalId": str(i)},
        )
        for i in range(5)
    ]

    def statements(query: dict[str, Any]) -> int:
        with count_queries(company) as recorded:
            assert len(search(company, query)["Resources"]) == 5
        return len(recorded)

    bare_page = statements({"filter": 'userName sw "bare"', "count": "5"})
    full_page = statements({"filter": 'userName sw "full"', "count": "5"})
    assert full_page == bare_page
    bare_user = search(company, {"filter": 'userName eq "bare0@example.com"'})["Resources"][0]
    with count_queries(company) as bare_get:
        get(company, bare_user["id"])
    with count_queries(company) as full_get:
        assert get(company, full[0]["id"])["addresses"]
    # The token, then the person with their groups and manager: nothing more.
    assert full_get == bare_get
    assert len([s for s in full_get if s.startswith("SELECT")]) == 2, full_get
