"""Emails and phone numbers: every value an identity provider sends is kept (order,
type, primary), returned as sent, and found by filters on any value (RFC 7644
§3.4.2.2), after POST, PUT and PATCH alike; and which emails must be unique
(decision 0016): a primary email is no one else's email, primary or not."""

from __future__ import annotations

from typing import Any

from roster.directory import person_edits
from roster.directory.audit import Actor
from roster.store.db import Database
from tests.support.harness import LiveServer, make_company
from tests.support.helpers import count_queries
from tests.support.users import PATCH_OP, assert_scim_error, create, okta_user

EMAILS = [
    {"value": "ada@work.example", "type": "work", "primary": True},
    {"value": "Ada.Home@Mail.example", "type": "home"},
    {"value": "ada@old.example"},
]
PHONES = [
    {"value": "+1 555 0100", "type": "work"},
    {"value": "+1 555 0199 X2", "type": "mobile", "primary": True},
]


def _ada(**extra: Any) -> dict[str, Any]:
    body = okta_user("ada@work.example", "Ada", "Lovelace")
    body["emails"] = EMAILS
    body["phoneNumbers"] = PHONES
    body.update(extra)
    return body


def _found(company: Any, text: str) -> list[str]:
    r = company.client.get("/Users", params={"filter": text, "attributes": "userName"})
    assert r.status_code == 200, (text, r.text)
    body = r.json()
    assert body["totalResults"] == len(body["Resources"])
    return sorted(u["userName"] for u in body["Resources"])


def _patch(company: Any, user_id: str, *operations: dict[str, Any]) -> dict[str, Any]:
    r = company.client.patch(
        f"/Users/{user_id}", json={"schemas": [PATCH_OP], "Operations": list(operations)}
    )
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def test_every_value_is_kept_as_sent_and_found_by_any_value(server: LiveServer) -> None:
    company = make_company(server)
    ada = create(company, _ada())
    create(company, okta_user("bob@work.example", "Bob", "Other"))
    assert ada["emails"] == EMAILS and ada["phoneNumbers"] == PHONES
    got = company.client.get(f"/Users/{ada['id']}").json()
    assert got["emails"] == EMAILS and got["phoneNumbers"] == PHONES
    me = ["ada@work.example"]
    for text in (
        'emails.value eq "ada.home@mail.example"',  # a secondary, another case
        'emails eq "ADA@OLD.EXAMPLE"',
        'emails co "mail.EXAMPLE"',
        'emails.value ew "@old.example"',
        'emails.type eq "HOME"',
        'emails[type eq "home" and value co "@mail"]',
        'emails[not (primary eq true) and value sw "ada@"]',  # ada@old.example
        'emails.primary eq false and userName sw "ada"',
        'phoneNumbers eq "+1 555 0199 x2"',
        'phoneNumbers.value co "0100"',
        'phoneNumbers[type eq "mobile" and primary eq true]',
        "phoneNumbers.type pr",
    ):
        assert _found(company, text) == me, text
    for text in (
        'emails[type eq "home" and value co "@work"]',  # two values, not one
        'phoneNumbers[type eq "work" and primary eq true]',
        'emails.value eq "nobody@work.example"',
    ):
        assert _found(company, text) == [], text
    # Bob has one email, the primary: not(...) over all values, per person.
    assert _found(company, 'not (emails.type eq "home")') == ["bob@work.example"]


def test_put_and_patch_keep_the_filters_in_step(server: LiveServer) -> None:
    company = make_company(server)
    ada = create(company, _ada())
    # PATCH: a value path replaces the work email's value; add and remove others.
    user = _patch(
        company,
        ada["id"],
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ada@new.example"},
        {"op": "add", "path": "emails", "value": [{"value": "lovelace@extra.example"}]},
        {"op": "remove", "path": 'emails[value eq "ada@old.example"]'},
        {"op": "remove", "path": 'phoneNumbers[type eq "work"]'},
    )
    assert [e["value"] for e in user["emails"]] == [
        "ada@new.example",
        "Ada.Home@Mail.example",
        "lovelace@extra.example",
    ]
    assert user["phoneNumbers"] == [PHONES[1]]
    assert _found(company, 'emails eq "ada@new.example"') == ["ada@work.example"]
    assert _found(company, 'emails eq "lovelace@extra.example"') == ["ada@work.example"]
    assert _found(company, 'emails eq "ada@work.example"') == []
    assert _found(company, 'emails eq "ada@old.example"') == []
    assert _found(company, 'phoneNumbers eq "+1 555 0100"') == []
    # The primary email still drives the person's email (and the unique index).
    r = company.client.get("/Users", params={"filter": 'userName eq "ada@work.example"'})
    assert r.json()["Resources"][0]["emails"][0]["primary"] is True
    # PUT replaces every value.
    r = company.client.put(
        f"/Users/{ada['id']}",
        json=_ada(emails=[{"value": "ada@put.example", "primary": True}], phoneNumbers=[]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["emails"] == [{"value": "ada@put.example", "primary": True}]
    assert "phoneNumbers" not in r.json()
    assert _found(company, 'emails eq "ada.home@mail.example"') == []
    assert _found(company, "phoneNumbers pr") == []
    assert _found(company, 'emails eq "ada@put.example"') == ["ada@work.example"]
    # Replacing the whole attribute with PATCH, path-less (Okta's shape).
    _patch(
        company,
        ada["id"],
        {"op": "replace", "value": {"phoneNumbers": [{"value": "+44 20 7946 0000"}]}},
    )
    assert _found(company, 'phoneNumbers sw "+44"') == ["ada@work.example"]


def test_a_primary_email_is_no_one_elses_email(server: LiveServer) -> None:
    company = make_company(server)
    ada = create(company, _ada())
    # Someone new whose work email is one of Ada's other emails: refused, saying who.
    r = company.client.post(
        "/Users", json=okta_user("ada.home@mail.example", "Other", "Ada", email=None)
    )
    body = assert_scim_error(r, 409, "uniqueness")
    detail = body["detail"]
    assert "email 'ada.home@mail.example'" in detail and ada["id"] in detail, detail
    assert "other than their primary" in detail and "active" in detail, detail
    assert "remove it from one of them" in detail, detail
    # Ada taking someone's work email as another email of hers: refused too.
    bob = create(company, okta_user("bob@work.example", "Bob", "Other"))
    r = company.client.patch(
        f"/Users/{ada['id']}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "add", "path": "emails", "value": [{"value": "BOB@work.example"}]}
            ],
        },
    )
    detail = assert_scim_error(r, 409, "uniqueness")["detail"]
    assert detail.startswith("emails: 'BOB@work.example' is the primary (work) email of")
    assert bob["id"] in detail, detail
    unchanged = company.client.get(f"/Users/{ada['id']}").json()
    assert unchanged["emails"] == EMAILS
    # An address that is nobody's primary may be shared (a team mailbox).
    shared = {"value": "team@work.example", "type": "other"}
    for user in (ada, bob):
        current = company.client.get(f"/Users/{user['id']}").json()["emails"]
        _patch(
            company, user["id"], {"op": "replace", "path": "emails", "value": [*current, shared]}
        )
    assert _found(company, 'emails eq "team@work.example"') == [
        "ada@work.example",
        "bob@work.example",
    ]
    # Nor may a person's primary move onto an address someone else has.
    r = company.client.put(
        f"/Users/{bob['id']}",
        json=okta_user("bob@work.example", "Bob", "Other", email="ada@old.example"),
    )
    assert "other than their primary" in assert_scim_error(r, 409, "uniqueness")["detail"]


def test_a_deactivated_holder_is_freed_with_all_their_emails(server: LiveServer) -> None:
    company = make_company(server)
    ada = create(company, _ada())
    _patch(company, ada["id"], {"op": "replace", "value": {"active": False}})
    newcomer = okta_user("ada.home@mail.example", "New", "Person")
    detail = assert_scim_error(company.client.post("/Users", json=newcomer), 409)["detail"]
    assert "deactivated" in detail and "Free this email" in detail, detail

    async def free(db: Database) -> None:
        await person_edits.free_email(db, company.tenant, ada["id"], actor=Actor("cli"))

    server.call(free)
    create(company, newcomer)
    assert _found(company, 'emails eq "ada.home@mail.example"') == ["ada.home@mail.example"]


def test_restore_refuses_when_an_email_was_taken_meanwhile(server: LiveServer) -> None:
    from roster.directory import tombstones
    from roster.model.errors import DirectoryError

    company = make_company(server)
    ada = create(company, _ada())
    assert company.client.delete(f"/Users/{ada['id']}").status_code == 204
    create(company, okta_user("ada@old.example", "Took", "It"))

    async def restore(db: Database) -> str:
        try:
            await tombstones.restore_person(db, company.tenant, ada["id"], actor=Actor("cli"))
        except DirectoryError as refusal:
            return refusal.message
        return "restored"

    message = server.call(restore)
    assert message.startswith("cannot restore: emails: 'ada@old.example'"), message


def _reads(statements: list[str]) -> list[str]:
    """The statements that read people (not the token's company lookup, BEGIN, COMMIT)."""
    return [s for s in statements if "people" in s or "person_values" in s]


def test_the_hot_path_reads_no_value_rows(server: LiveServer) -> None:
    """GET /Users/{id} and an import page stay one statement each (the rendered emails
    are the person's own column); a filter on emails is one page statement; a write
    that changes no email or phone touches no value row."""
    company = make_company(server)

    def emails(i: int) -> list[dict[str, Any]]:
        return [
            {"value": f"p{i}@work.example", "type": "work", "primary": True},
            {"value": "team@mail.example", "type": "other"},  # shared: nobody's primary
        ]

    ids = [
        create(company, _ada(userName=f"p{i}@work.example", emails=emails(i)))["id"]
        for i in range(3)
    ]
    with count_queries(company) as statements:
        r = company.client.get(f"/Users/{ids[0]}")
    assert r.status_code == 200 and r.json()["emails"] == emails(0)
    assert len(_reads(statements)) == 1, statements
    with count_queries(company) as statements:
        r = company.client.get("/Users", params={"startIndex": "1", "count": "10"})
    assert [u["emails"] for u in r.json()["Resources"]] == [emails(i) for i in range(3)]
    assert len(_reads(statements)) == 1, statements
    with count_queries(company) as statements:
        r = company.client.get("/Users", params={"filter": 'emails co "@mail.example"'})
    assert r.json()["totalResults"] == 3
    (page,) = _reads(statements)
    assert "person_values" in page, statements
    with count_queries(company) as statements:
        _patch(company, ids[1], {"op": "replace", "value": {"title": "Countess"}})
    assert not [s for s in statements if "person_values" in s], statements


def test_csv_import_keeps_the_rule_and_the_rows(server: LiveServer) -> None:
    """A CSV row may not create someone whose email is another person's other email;
    the people it creates and updates are found by filters on their emails."""
    from roster.directory import csv_import, tenants

    company = make_company(server, allow_csv_import=True)
    create(company, _ada())

    async def apply(db: Database, text: str) -> Any:
        tenant = await tenants.get_tenant(db, company.subdomain)
        return await csv_import.apply(db, tenant, text, actor=Actor("admin:a@work.example"))

    from roster.model.errors import DirectoryError

    async def refused(db: Database) -> str:
        try:
            await apply(db, "email,givenName\nnew@work.example,New\nada@old.example,Taken\n")
        except DirectoryError as refusal:
            return refusal.message
        return "applied"

    assert "rejected" in server.call(refused)
    assert _found(company, 'emails eq "new@work.example"') == []  # nothing written

    async def good(db: Database) -> Any:
        return await apply(db, "email,givenName\nnew@work.example,New\nada@work.example,Augusta\n")

    plan = server.call(good)
    assert plan.summary["create"] == 1 and plan.summary["update"] == 1
    assert _found(company, 'emails eq "NEW@work.example"') == ["new@work.example"]
    assert _found(company, 'emails eq "ada@old.example"') == ["ada@work.example"]
