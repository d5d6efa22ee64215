"""Managers over /Users: referenced by SCIM id, user number, email or employee number; a
reference to nobody yet is kept and linked when the manager arrives; changes survive
Okta's echoed PUT; manager sync off; the reports of a deactivated manager."""

from __future__ import annotations

import pytest

from tests.support.harness import Company
from tests.support.users import (
    ENTERPRISE,
    FIFTEEN_FIVE,
    audit_events,
    create,
    create_named,
    deactivate,
    enterprise,
    get,
    manager_of,
    okta_user,
    patch,
    patched,
    search,
    set_settings,
    stored,
    with_manager,
)


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
    assert enterprise(report)["manager"] == {"value": "late.boss@example.com"}
    notes = " ".join(n for e in audit_events(company, report["id"]) for n in e["notes"] or [])
    assert "late.boss@example.com" in notes and "matches nobody yet" in notes
    # A PATCH of something else keeps the pending reference.
    patched(company, report["id"], {"op": "replace", "path": "title", "value": "Analyst"})
    boss = create_named(company, "Late.Boss@example.com")
    assert manager_of(company, report["id"]) == boss["id"]
    assert stored(company, report["id"])["manager_pending"] is None


def test_pending_manager_survives_an_echoed_put(company: Company) -> None:
    report = create(company, with_manager("report@example.com", "late.boss@example.com"))
    body = get(company, report["id"])  # the pending reference, echoed as sent
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
    assert r.status_code == 200 and enterprise(r.json())["manager"] == {"value": "ghost"}
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


def test_pending_manager_is_echoed_as_sent_until_it_resolves(company: Company) -> None:
    """An IdP that reads back what it wrote sees the reference it sent (its case kept,
    no $ref or displayName: it names no User yet) on POST, GET, PUT and PATCH answers;
    once the manager arrives, the manager is shown as any other."""
    sent = "Late.Boss@Example.com"
    report = create(company, with_manager("report@example.com", sent))
    assert enterprise(report)["manager"] == {"value": sent}
    assert enterprise(get(company, report["id"]))["manager"] == {"value": sent}
    listed = search(company, {"filter": 'userName eq "report@example.com"'})["Resources"]
    assert enterprise(listed[0])["manager"] == {"value": sent}
    # Matching stays as it was: on the lowercased key.
    assert stored(company, report["id"])["manager_pending"] == sent.lower()
    after = patched(company, report["id"], {"op": "replace", "path": "title", "value": "Analyst"})
    assert enterprise(after)["manager"] == {"value": sent}
    body = get(company, report["id"])
    body["title"] = "Lead"
    r = company.client.put(f"/Users/{report['id']}", json=body)
    assert r.status_code == 200 and enterprise(r.json())["manager"] == {"value": sent}
    # An employee number reference, by PATCH, keeps its case too.
    other = create_named(company, "other@example.com")
    r = patch(
        company, other["id"], {"op": "replace", "path": "manager", "value": {"value": "HR-9"}}
    )
    assert enterprise(r.json())["manager"] == {"value": "HR-9"}

    boss = create_named(company, "late.boss@example.com", given="Late", family="Boss")
    manager = enterprise(get(company, report["id"]))["manager"]
    assert manager["value"] == boss["id"]
    assert manager["$ref"].endswith(f"/Users/{boss['id']}")
    assert manager["displayName"] == "Late Boss"
    assert stored(company, report["id"])["manager_pending_as_sent"] is None
