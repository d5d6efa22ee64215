"""The rules behind /Users: managers, uniqueness and linking, passwords, filters, sorting,
projection, search, ETags, cursors and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from roster.directory import tenants
from tests.support.harness import Company
from tests.support.users import (
    ENTERPRISE,
    FIFTEEN_FIVE,
    PATCH_OP,
    assert_scim_error,
    audit_events,
    company_ext,
    create,
    create_named,
    create_outside_scim,
    enterprise,
    get,
    manager_of,
    okta_user,
    password_hash,
    patch,
    patched,
    payload,
    search,
    set_settings,
    set_sso,
    stored,
    user_names,
)


def with_manager(user_name: str, manager: str | None, **extra: Any) -> dict[str, Any]:
    body = okta_user(user_name, **extra)
    body["schemas"].append(ENTERPRISE)
    body[ENTERPRISE] = {"manager": {"value": manager}} if manager is not None else {}
    return body


def deactivate(company: Company, user_id: str) -> dict[str, Any]:
    return patched(company, user_id, *payload("okta", "deactivate_user")["Operations"])


# ---------------------------------------------------------------------------
# Managers


def test_manager_by_scim_id_is_shown_with_id_ref_and_name(company: Company) -> None:
    boss = create_named(company, "boss@example.com", given="Big", family="Boss")
    report = create(company, with_manager("report@example.com", boss["id"]))
    manager = enterprise(report)["manager"]
    assert manager["value"] == boss["id"]
    assert manager["$ref"].endswith(f"/Users/{boss['id']}")
    assert manager["displayName"] == "Big Boss"
    assert manager_of(company, report["id"]) == boss["id"]
    found = search(company, {"filter": f'manager.value eq "{boss["id"]}"'})
    assert [u["id"] for u in found["Resources"]] == [report["id"]]


def test_manager_by_user_number_email_and_employee_number(company: Company) -> None:
    boss_body = okta_user("boss@example.com")
    boss_body[ENTERPRISE] = {"employeeNumber": "E-77"}
    boss = create(company, boss_body)
    number = stored(company, boss["id"])["number"]
    for i, ref in enumerate((str(number), "BOSS@example.com", "e-77")):
        report = create(company, with_manager(f"r{i}@example.com", ref))
        assert enterprise(report)["manager"]["value"] == boss["id"], ref


def test_manager_resolution_order(company: Company) -> None:
    # One person's employee number is another person's user number: the user number wins.
    first = create_named(company, "first@example.com")
    first_number = stored(company, first["id"])["number"]
    body = okta_user("second@example.com")
    body[ENTERPRISE] = {"employeeNumber": str(first_number)}
    create(company, body)
    report = create(company, with_manager("report@example.com", str(first_number)))
    assert enterprise(report)["manager"]["value"] == first["id"]


def test_pending_manager_is_linked_when_the_manager_arrives(company: Company) -> None:
    report = create(company, with_manager("report@example.com", "late.boss@example.com"))
    assert "manager" not in enterprise(report)
    notes = " ".join(n for e in audit_events(company, report["id"]) for n in e["notes"] or [])
    assert "late.boss@example.com" in notes and "matches nobody yet" in notes
    # A PATCH of something else keeps the pending reference.
    patched(company, report["id"], {"op": "replace", "path": "title", "value": "Analyst"})
    boss = create_named(company, "Late.Boss@example.com")
    assert manager_of(company, report["id"]) == boss["id"]
    assert stored(company, report["id"])["manager_pending"] is None


def test_pending_manager_survives_an_echoed_put(company: Company) -> None:
    report = create(company, with_manager("report@example.com", "late.boss@example.com"))
    body = get(company, report["id"])  # the pending reference is not a SCIM id: not shown
    body["title"] = "Analyst"
    r = company.client.put(f"/Users/{report['id']}", json=body)
    assert r.status_code == 200 and r.json()["title"] == "Analyst"
    boss = create_named(company, "late.boss@example.com")
    assert manager_of(company, report["id"]) == boss["id"]
    # An explicit empty manager clears a pending reference.
    pending = create(company, with_manager("other@example.com", "nobody@example.com"))
    body = get(company, pending["id"])
    body[ENTERPRISE] = {"manager": {"value": ""}}
    assert company.client.put(f"/Users/{pending['id']}", json=body).status_code == 200
    assert stored(company, pending["id"])["manager_pending"] is None


def test_pending_manager_by_employee_number_linked_by_a_later_update(company: Company) -> None:
    report = create(company, with_manager("report@example.com", "HR-9"))
    boss = create_named(company, "boss@example.com")
    assert manager_of(company, report["id"]) is None
    patched(
        company,
        boss["id"],
        {"op": "add", "path": f"{ENTERPRISE}:employeeNumber", "value": "HR-9"},
    )
    assert manager_of(company, report["id"]) == boss["id"]


def test_manager_can_be_changed_and_cleared(company: Company) -> None:
    a = create_named(company, "a@example.com")
    b = create_named(company, "b@example.com")
    report = create(company, with_manager("report@example.com", a["id"]))
    after = patched(
        company, report["id"], {"op": "replace", "path": "manager", "value": {"value": b["id"]}}
    )
    assert enterprise(after)["manager"]["value"] == b["id"]
    after = patched(company, report["id"], {"op": "remove", "path": f"{ENTERPRISE}:manager"})
    assert "manager" not in enterprise(after)


def test_self_manager_and_unresolvable_manager_never_fail(company: Company) -> None:
    me = create_named(company, "me@example.com")
    after = patched(
        company, me["id"], {"op": "replace", "path": "manager", "value": {"value": me["id"]}}
    )
    assert "manager" not in enterprise(after)
    r = patch(company, me["id"], {"op": "replace", "path": "manager", "value": "ghost"})
    assert r.status_code == 200 and "manager" not in enterprise(r.json())
    assert stored(company, me["id"])["manager_pending"] == "ghost"


def test_manager_sync_off_ignores_managers(company: Company) -> None:
    boss = create_named(company, "boss@example.com")
    set_settings(company, sync_managers=False)
    report = create(company, with_manager("report@example.com", boss["id"]))
    assert "manager" not in enterprise(report)
    notes = " ".join(n for e in audit_events(company, report["id"]) for n in e["notes"] or [])
    assert "manager sync is off" in notes
    set_settings(company, sync_managers=True)
    after = patched(
        company, report["id"], {"op": "replace", "path": "manager", "value": {"value": boss["id"]}}
    )
    assert enterprise(after)["manager"]["value"] == boss["id"]
    # Turned off again, a PUT without a manager leaves the existing manager alone.
    set_settings(company, sync_managers=False)
    body = get(company, report["id"])
    body.pop(ENTERPRISE)
    company.client.put(f"/Users/{report['id']}", json=body)
    assert manager_of(company, report["id"]) == boss["id"]


def test_manager_change_survives_an_echoed_put(company: Company) -> None:
    """Okta's PUT echoes the GET result; a manager mapped in the company extension
    (15Five's managerId/managerEmail) or in the enterprise one must still change."""
    old = create_named(company, "old.boss@example.com")
    new = create_named(company, "new.boss@example.com")
    third = create_named(company, "third.boss@example.com")
    report = create(company, with_manager("report@example.com", old["id"]))
    body = get(company, report["id"])
    body.setdefault(FIFTEEN_FIVE, {})["managerEmail"] = "new.boss@example.com"
    body["schemas"] = sorted({*body["schemas"], FIFTEEN_FIVE})
    r = company.client.put(f"/Users/{report['id']}", json=body)
    assert r.status_code == 200, r.text
    assert enterprise(r.json())["manager"]["value"] == new["id"]
    # The IdP maps the enterprise manager instead: its change wins over the echo.
    body = get(company, report["id"])
    body[ENTERPRISE]["manager"] = {"value": third["id"]}
    r = company.client.put(f"/Users/{report['id']}", json=body)
    assert enterprise(r.json())["manager"]["value"] == third["id"]
    # An unchanged echo keeps the manager.
    r = company.client.put(f"/Users/{report['id']}", json=get(company, report["id"]))
    assert enterprise(r.json())["manager"]["value"] == third["id"]
    # A PATCH of the company extension's managerId changes it too.
    after = patched(
        company,
        report["id"],
        {"op": "replace", "path": f"{FIFTEEN_FIVE}:managerId", "value": old["id"]},
    )
    assert enterprise(after)["manager"]["value"] == old["id"]


@pytest.mark.parametrize("reassign", [True, False])
def test_reports_of_a_deactivated_manager(company: Company, reassign: bool) -> None:
    top = create_named(company, "top@example.com")
    middle = create(company, with_manager("middle@example.com", top["id"]))
    low1 = create(company, with_manager("low1@example.com", middle["id"]))
    low2 = create(company, with_manager("low2@example.com", middle["id"]))
    set_settings(company, reassign_reporters=reassign)
    deactivate(company, middle["id"])
    expected = top["id"] if reassign else middle["id"]
    assert manager_of(company, low1["id"]) == expected
    assert manager_of(company, low2["id"]) == expected
    assert manager_of(company, middle["id"]) == top["id"]


# ---------------------------------------------------------------------------
# Uniqueness and existing people


def test_email_in_use_by_deactivated_holder_names_holder_and_fix(company: Company) -> None:
    holder = create_named(company, "sam@example.com")
    deactivate(company, holder["id"])
    body = okta_user("sam.new@example.com", email="sam@example.com")
    err = assert_scim_error(company.client.post("/Users", json=body), 409, "uniqueness")
    assert holder["id"] in err["detail"]
    assert "deactivated" in err["detail"]
    assert "change that deactivated person's email" in err["detail"]


def test_email_in_use_by_unlinked_active_person_names_holder_and_fix(company: Company) -> None:
    set_settings(company, link_existing_people=False)
    holder_id = create_outside_scim(company, "pat@example.com")
    err = assert_scim_error(
        company.client.post("/Users", json=okta_user("pat@example.com")), 409, "uniqueness"
    )
    assert holder_id in err["detail"]
    assert "active" in err["detail"]
    assert "assign them in the identity provider with exactly this email" in err["detail"]


def test_email_conflict_on_update_is_409(company: Company) -> None:
    create_named(company, "taken@example.com")
    other = create_named(company, "other@example.com")
    r = patch(
        company,
        other["id"],
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "TAKEN@example.com"},
    )
    assert_scim_error(r, 409, "uniqueness")
    r = patch(
        company, other["id"], {"op": "replace", "path": "userName", "value": "Taken@Example.com"}
    )
    assert_scim_error(r, 409, "uniqueness")
    assert get(company, other["id"])["userName"] == "other@example.com"


def test_person_created_outside_scim_is_found_and_linked_on_create(company: Company) -> None:
    existing_id = create_outside_scim(
        company, "lee@example.com", given="Lee", family="Old", title="Founder"
    )
    assert stored(company, existing_id)["idp_linked_at"] is None
    # Okta's lookup finds them, with a real id.
    found = search(company, {"filter": 'userName eq "LEE@example.com"'})
    assert [u["id"] for u in found["Resources"]] == [existing_id]
    # Okta POSTs anyway (its lookup was by another attribute): linked, not duplicated.
    r = company.client.post("/Users", json=okta_user("lee@example.com", "Lee", "New"))
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["id"] == existing_id
    assert user["name"]["familyName"] == "New"  # what the IdP sent
    assert user["title"] == "Founder"  # what it did not send is kept
    assert user["externalId"]
    assert stored(company, existing_id)["idp_linked_at"] is not None
    assert search(company, {"filter": "userName pr"})["totalResults"] == 1
    assert audit_events(company, existing_id)[0]["action"] == "person.link"
    # Linked now: a second create is a conflict, not another link.
    r = company.client.post("/Users", json=okta_user("lee@example.com", "Lee", "New"))
    assert_scim_error(r, 409, "uniqueness")


def test_person_created_outside_scim_keeps_custom_attributes_on_link(company: Company) -> None:
    company.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customTeam", "string")
    )
    company.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customDesk", "string")
    )
    company.refresh()
    existing_id = create_outside_scim(
        company, "kim@example.com", **{FIFTEEN_FIVE: {"customTeam": "Blue", "customDesk": "4F"}}
    )
    body = okta_user("kim@example.com")
    body[FIFTEEN_FIVE] = {"customTeam": "Red"}
    user = create(company, body)
    assert user["id"] == existing_id
    assert company_ext(user) == {"customTeam": "Red", "customDesk": "4F"}


def test_person_outside_scim_linked_by_first_idp_write(company: Company) -> None:
    existing_id = create_outside_scim(company, "jo@example.com")
    body = get(company, existing_id)
    body["externalId"] = "00ujo"
    r = company.client.put(f"/Users/{existing_id}", json=body)
    assert r.status_code == 200
    assert stored(company, existing_id)["idp_linked_at"] is not None


def test_a_write_without_external_id_does_not_link(company: Company) -> None:
    existing_id = create_outside_scim(company, "ann@example.com")
    r = company.client.patch(
        f"/Users/{existing_id}",
        json={"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"title": "CTO"}}]},
    )
    assert r.status_code == 200 and r.json()["title"] == "CTO"
    assert stored(company, existing_id)["idp_linked_at"] is None
    r = company.client.patch(
        f"/Users/{existing_id}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "externalId", "value": "00uann"}],
        },
    )
    assert r.status_code == 200
    assert stored(company, existing_id)["idp_linked_at"] is not None


def test_ignored_attributes_are_noted_even_when_nothing_changes(company: Company) -> None:
    user = create(company, okta_user("noted@example.com"))
    body = get(company, user["id"])
    body["nickName"] = "Nod"
    before = len(audit_events(company, user["id"]))
    r = company.client.put(f"/Users/{user['id']}", json=body)
    assert r.status_code == 200 and r.json()["meta"]["version"] == user["meta"]["version"]
    events = audit_events(company, user["id"])
    assert len(events) == before + 1
    assert any("nickname" in note for note in events[0]["notes"])


def test_cli_cannot_create_people_while_scim_is_on(company: Company) -> None:
    from roster.directory import people
    from roster.directory.people import Actor
    from roster.model.errors import DirectoryError
    from roster.model.registry import UserSchemas
    from roster.scim.users import parse_user

    data = parse_user({"userName": "x@example.com"}, UserSchemas(FIFTEEN_FIVE))
    with pytest.raises(DirectoryError) as exc:
        company.call(
            lambda db: people.create_person(
                db, company.tenant, data, actor=Actor("cli"), source="cli"
            )
        )
    assert exc.value.kind == "forbidden"


# ---------------------------------------------------------------------------
# Timezone and passwords


def test_timezone_is_roster_owned(company: Company) -> None:
    user = create_named(company, "tz@example.com", timezone="Europe/Paris")
    assert stored(company, user["id"])["timezone"] is None

    async def set_tz(db: Any) -> None:
        import sqlalchemy as sa

        from roster.store.tables import people

        async with db.write() as conn:
            await conn.execute(
                sa.update(people)
                .where(people.c.tenant_id == company.tenant.id, people.c.id == user["id"])
                .values(timezone="Asia/Tokyo")
            )

    company.call(set_tz)
    shown = get(company, user["id"])
    assert shown["timezone"] == "Asia/Tokyo"
    shown["timezone"] = "UTC"
    r = company.client.put(f"/Users/{user['id']}", json=shown)
    assert r.status_code == 200 and r.json()["timezone"] == "Asia/Tokyo"
    after = patched(company, user["id"], {"op": "replace", "path": "timezone", "value": "UTC"})
    assert after["timezone"] == "Asia/Tokyo"
    after = patched(company, user["id"], {"op": "remove", "path": "timezone"})
    assert after["timezone"] == "Asia/Tokyo"


def test_password_is_argon2_hashed_while_sso_is_off(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    assert "password" not in user
    assert "password" not in get(company, user["id"])
    hashed = password_hash(company, user["id"])
    assert hashed is not None and hashed.startswith("$argon2id$")
    assert "1mz050nq" not in hashed
    patched(company, user["id"], {"op": "replace", "path": "password", "value": "n3w-Secret"})
    changed = password_hash(company, user["id"])
    assert changed is not None and changed.startswith("$argon2id$") and changed != hashed
    for listed in search(company, "startIndex=1&count=10")["Resources"]:
        assert "password" not in listed
    r = company.client.get(f"/Users/{user['id']}", params={"attributes": "password,userName"})
    assert "password" not in r.json()
    assert_scim_error(company.client.get("/Users", params={"filter": 'password eq "x"'}), 400)


def test_password_is_discarded_while_sso_is_on(company: Company) -> None:
    set_sso(company, True)
    user = create(company, payload("okta", "create_user"))
    assert password_hash(company, user["id"]) is None
    patched(company, user["id"], {"op": "replace", "value": {"password": "other"}})
    assert password_hash(company, user["id"]) is None
    notes = " ".join(n for e in audit_events(company, user["id"]) for n in e["notes"] or [])
    assert "password discarded" in notes


def test_audit_rows_record_requests_with_passwords_redacted(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    patched(company, user["id"], {"op": "replace", "path": "password", "value": "PatchSecret1"})
    patched(company, user["id"], {"op": "replace", "value": {"password": "PatchSecret2"}})
    patched(
        company,
        user["id"],
        {
            "op": "replace",
            "path": "urn:ietf:params:scim:schemas:core:2.0:User:password",
            "value": "PatchSecret3",
        },
    )
    patched(company, user["id"], {"OP": "Replace", "PATH": "Password", "VALUE": "PatchSecret4"})
    deactivate(company, user["id"])
    events = audit_events(company, user["id"])
    assert [e["action"] for e in events] == ["person.patch"] * 5 + ["person.create"]
    dump = repr(events)
    for secret in ("1mz050nq", "PatchSecret1", "PatchSecret2", "PatchSecret3", "PatchSecret4"):
        assert secret not in dump
    created = events[-1]
    assert created["actor"] == f"token:{company.token_id}"
    assert created["request"]["password"] == "[REDACTED]"
    assert created["request"]["userName"] == "test.user@okta.local"
    assert created["changes"]["user_name"] == "test.user@okta.local"
    assert events[0]["changes"]["active"] == [True, False]
    assert events[1]["changes"]["password"] == ["[REDACTED]", "[REDACTED]"]
    assert all(e["request_id"] for e in events)


# ---------------------------------------------------------------------------
# Filters


@pytest.fixture
def crew(company: Company) -> Company:
    """Five people to filter, sort and page."""
    rows = [
        ("alice@example.com", "Alice", "Zephyr", "Engineer", "2024-01-15", "E-1", True),
        ("bob@example.com", "Bob", "Young", "50% Manager", "2025-06-01", "E-2", True),
        ("carol@sales.example.org", "Carol", "Xu", "Sales Lead", None, "E-3", False),
        ("dave@example.com", "Dave", "Walker", None, "2023-03-03", None, True),
        ("Eve@Example.com", "Eve", "Vance", "engineer", "2026-12-31", "E-5", False),
    ]
    for user_name, given, family, title, start, number, active in rows:
        body = okta_user(user_name, given, family, active=active)
        if title:
            body["title"] = title
        body[ENTERPRISE] = {"employeeNumber": number} if number else {}
        body[FIFTEEN_FIVE] = {"startDate": start, "customLevel": given[0] * 2}
        create(company, body)
    return company


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
        'nickName eq "x"',
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
    r = crew.client.post("/Users/.search", json={"filter": "nickName pr"})
    assert_scim_error(r, 400, "invalidFilter")


# ---------------------------------------------------------------------------
# ETags and conditional writes


def test_etag_and_if_match(company: Company) -> None:
    user = create(company, payload("okta", "create_user"))
    version = user["meta"]["version"]
    assert version.startswith('W/"')
    r = company.client.get(f"/Users/{user['id']}")
    assert r.headers["etag"] == version
    stale = version
    ok = company.client.patch(
        f"/Users/{user['id']}",
        json=payload("okta", "deactivate_user"),
        headers={"If-Match": version},
    )
    assert ok.status_code == 200
    current = ok.json()["meta"]["version"]
    assert current != stale and ok.headers["etag"] == current
    for method, body in (
        ("patch", payload("okta", "reactivate_user")),
        ("put", get(company, user["id"])),
    ):
        r = company.client.request(
            method, f"/Users/{user['id']}", json=body, headers={"If-Match": stale}
        )
        assert_scim_error(r, 412)
    assert get(company, user["id"])["active"] is False
    r = company.client.delete(f"/Users/{user['id']}", headers={"If-Match": stale})
    assert_scim_error(r, 412)
    r = company.client.put(
        f"/Users/{user['id']}", json=get(company, user["id"]), headers={"If-Match": "*"}
    )
    assert r.status_code == 200
    assert_scim_error(
        company.client.patch(
            f"/Users/{user['id']}",
            json=payload("okta", "reactivate_user"),
            headers={"If-Match": "garbage"},
        ),
        412,
    )
    r = company.client.delete(f"/Users/{user['id']}", headers={"If-Match": current})
    assert r.status_code == 204


def test_concurrent_creates_and_conditional_writes(company: Company) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = payload("okta", "create_user")
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(
            pool.map(lambda _: company.client.post("/Users", json=body).status_code, range(6))
        )
    assert statuses == [201, 409, 409, 409, 409, 409]
    user = search(company, {"filter": 'userName eq "test.user@okta.local"'})["Resources"][0]
    version = user["meta"]["version"]

    def retitle(i: int) -> int:
        r = company.client.patch(
            f"/Users/{user['id']}",
            json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": f"T{i}"}],
            },
            headers={"If-Match": version},
        )
        return r.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(retitle, range(6)))
    assert statuses == [200, 412, 412, 412, 412, 412]
    assert get(company, user["id"])["meta"]["version"] == 'W/"2"'


# ---------------------------------------------------------------------------
# Cursor pagination (RFC 9865)


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


def test_deactivation_and_delete_end_the_persons_sessions(company: Company) -> None:
    from roster.directory import sessions

    user = create(company, okta_user("signed.in@example.com"))
    other = create(company, okta_user("also.in@example.com"))
    cookie, _ = company.call(
        lambda db: sessions.start_session(db, company.tenant.id, "person", user["id"])
    )
    other_cookie, _ = company.call(
        lambda db: sessions.start_session(db, company.tenant.id, "person", other["id"])
    )
    assert company.call(lambda db: sessions.load_session(db, cookie)) is not None
    patch(company, user["id"], {"op": "replace", "value": {"active": False}})
    assert company.call(lambda db: sessions.load_session(db, cookie)) is None
    assert company.call(lambda db: sessions.load_session(db, other_cookie)) is not None
    assert company.client.delete(f"/Users/{other['id']}").status_code == 204
    assert company.call(lambda db: sessions.load_session(db, other_cookie)) is None
