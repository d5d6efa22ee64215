"""`roster person set | deactivate | reactivate | free-email`, run as an operator runs
them (a subprocess on the live server's database, SQLite and PostgreSQL): the same
registry, checks and errors as the console's edit form, each write audited and told
with the CLI as actor; offboarding refused while SCIM is on, freeing an email not."""

from __future__ import annotations

from roster.directory import tenants
from tests.support.harness import Company
from tests.support.helpers import roster_cli
from tests.support.users import create, okta_user, stored
from tests.support.webhooks import company_events, last_seq


def _people(company: Company) -> tuple[str, str]:
    company.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customTeam", "string")
    )
    boss = create(company, okta_user("boss@acme.example", "Bo", "Boss"))["id"]
    ada = create(company, okta_user("ada@acme.example", "Ada", "Lovelace"))["id"]
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    return boss, ada


def test_person_set_changes_the_named_fields(company: Company) -> None:
    boss, ada = _people(company)
    start = last_seq(company)
    result = roster_cli(
        company.server,
        "person",
        "set",
        company.subdomain,
        ada,
        "--field",
        "title=Analyst",
        "--field",
        "startDate=2026-04-01",
        "--field",
        "customTeam=Engines",
        "--field",
        "manager=boss@acme.example",
        "--field",
        "Timezone=Europe/London",
    )
    assert result.returncode == 0, result.stderr
    assert "saved" in result.stdout and "Start date" in result.stdout
    person = stored(company, ada)
    assert person["title"] == "Analyst" and str(person["start_date"]) == "2026-04-01"
    assert person["custom"] == {"customTeam": "Engines"}
    assert person["manager_id"] == boss and person["timezone"] == "Europe/London"
    events = company_events(company, after=start)
    assert [e["type"] for e in events] == ["person.updated", "person.manager_changed"]
    assert {e["actor"] for e in events} == {"cli"}
    assert events[0]["data"]["changes"]["title"] == {"old": None, "new": "Analyst"}


def test_person_set_refuses_bad_values_and_changes_nothing(company: Company) -> None:
    boss, ada = _people(company)
    assert (
        roster_cli(
            company.server, "person", "set", company.subdomain, boss, "--field", f"manager={ada}"
        ).returncode
        == 0
    )
    before = stored(company, ada)
    start = last_seq(company)
    for args, says in (
        (("startDate=31/31/2026",), "Start date: '31/31/2026' is not a date"),
        (("manager=nobody@acme.example",), "matches nobody"),
        (("manager=boss@acme.example",), "would make a loop"),
        (("email=boss@acme.example",), "already in use"),
        (("timezone=Mars/Base",), "is not a timezone name"),
        (("title=" + "x" * 201,), "Title is longer than 200 characters"),
        (("badge=1",), "give NAME=VALUE with NAME one of"),
        (("title",), "give NAME=VALUE"),
        (("id=abc",), "Id is not a field an admin can change"),
    ):
        argv = [a for pair in args for a in ("--field", pair)]
        result = roster_cli(company.server, "person", "set", company.subdomain, ada, *argv)
        assert result.returncode == 1, (args, result.stdout)
        assert says in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert stored(company, ada) == before
    assert company_events(company, after=start) == []


def test_deactivate_reactivate_and_free_email(company: Company) -> None:
    _, ada = _people(company)
    start = last_seq(company)
    for command, active in (("deactivate", False), ("reactivate", True), ("deactivate", False)):
        result = roster_cli(company.server, "person", command, company.subdomain, ada)
        assert result.returncode == 0, result.stderr
        assert stored(company, ada)["active"] is active
    types = [e["type"] for e in company_events(company, after=start)]
    assert types == [
        "person.updated",
        "person.deactivated",
        "person.updated",
        "person.reactivated",
        "person.updated",
        "person.deactivated",
    ]
    # With SCIM on, offboarding is the identity provider's; freeing the email is not.
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, True))
    refused = roster_cli(company.server, "person", "reactivate", company.subdomain, ada)
    assert refused.returncode == 1 and "SCIM is on" in refused.stderr
    refused = roster_cli(
        company.server, "person", "set", company.subdomain, ada, "--field", "title=X"
    )
    assert refused.returncode == 1 and "managed by your identity provider" in refused.stderr
    mark = last_seq(company)
    freed = roster_cli(company.server, "person", "free-email", company.subdomain, ada)
    assert freed.returncode == 0, freed.stderr
    placeholder = f"freed+{ada}@roster.invalid"
    assert placeholder in freed.stdout
    person = stored(company, ada)
    assert person["email"] == placeholder and person["user_name"] == placeholder
    (event,) = company_events(company, after=mark)
    assert event["actor"] == "cli"
    assert event["data"]["changes"]["user_name"] == {"old": "ada@acme.example", "new": placeholder}
    created = company.client.post("/Users", json=okta_user("ada@acme.example", "Ada", "New"))
    assert created.status_code == 201, created.text
    # Freeing an active person's email is refused.
    other = created.json()["id"]
    again = roster_cli(company.server, "person", "free-email", company.subdomain, other)
    assert again.returncode == 1 and "only a deactivated person's email" in again.stderr
