"""CSV import: refused while SCIM is on unless support allows it, preview per row,
all-or-nothing apply, idempotent re-import, match by email, registry-driven columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from roster.directory import csv_import, csv_plan, tenants
from roster.directory.people import Actor
from roster.model.errors import DirectoryError
from roster.store.db import Database
from tests.support.console import signed_in
from tests.support.harness import Company, LiveServer, make_company
from tests.support.helpers import roster_cli
from tests.support.users import okta_user

ADMIN = Actor("admin:test@example.com")


def _scim_off(server: LiveServer) -> Company:
    company = make_company(server)
    server.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    company.refresh()
    return company


def _apply(company: Company, text: str) -> csv_plan.Plan:
    async def go(db: Database) -> csv_plan.Plan:
        tenant = await tenants.get_tenant(db, company.subdomain)
        return await csv_import.apply(db, tenant, text, actor=ADMIN)

    return company.call(go)


def _plan(company: Company, text: str) -> csv_plan.Plan:
    async def go(db: Database) -> csv_plan.Plan:
        tenant = await tenants.get_tenant(db, company.subdomain)
        async with db.read() as conn:
            return await csv_plan.plan_import(conn, tenant, text)

    return company.call(go)


FILE = """email,givenName,familyName,title,employeeNumber,manager,startDate,location,active
ada@co.example,Ada,Lovelace,CTO,E1,,2026-01-05,"London, ENG, GB",true
grace@co.example,Grace,Hopper,Engineer,E2,ada@co.example,01/31/2026,,yes
linus@co.example,Linus,T,Engineer,E3,E1,,,
"""


def test_preview_then_apply_then_reimport_changes_nothing(server: LiveServer) -> None:
    company = _scim_off(server)
    plan = _plan(company, FILE)
    assert [r.action for r in plan.rows] == ["create", "create", "create"]
    assert plan.can_apply
    applied = _apply(company, FILE)
    assert applied.summary["create"] == 3
    again = _apply(company, FILE)
    assert again.summary == {**again.summary, "create": 0, "update": 0, "unchanged": 3}

    async def fetch(db: Database) -> dict[str, dict[str, object]]:
        import sqlalchemy as sa

        from roster.store.tables import people

        async with db.read() as conn:
            rows = await conn.execute(
                sa.select(people).where(people.c.tenant_id == company.tenant.id)
            )
            return {r.email: dict(r._mapping) for r in rows}

    stored = company.call(fetch)
    assert stored["grace@co.example"]["manager_id"] == stored["ada@co.example"]["id"]
    assert stored["linus@co.example"]["manager_id"] == stored["ada@co.example"]["id"]  # by E1
    assert str(stored["grace@co.example"]["start_date"]) == "2026-01-31"
    assert stored["ada@co.example"]["location"] == "London, ENG, GB"
    assert stored["ada@co.example"]["source"] == "csv"
    assert stored["ada@co.example"]["idp_linked_at"] is None

    # Match by email (any case); only the columns present change; empty cells keep values.
    update = "EMAIL,title,location\nADA@co.example,Chief Scientist,\ngrace@co.example,Engineer,\n"
    plan = _plan(company, update)
    assert [(r.action, r.changes) for r in plan.rows] == [("update", ["title"]), ("unchanged", [])]
    _apply(company, update)
    after = company.call(fetch)
    assert after["ada@co.example"]["title"] == "Chief Scientist"
    assert after["ada@co.example"]["location"] == "London, ENG, GB"
    assert after["ada@co.example"]["version"] == stored["ada@co.example"]["version"] + 1
    company.client.close()


def test_rejected_rows_block_the_whole_file(server: LiveServer) -> None:
    company = _scim_off(server)
    bad = (
        "email,givenName,startDate,active\n"
        "ok@co.example,Ok,,\n"
        ",Nobody,,\n"
        "not-an-email,X,,\n"
        "dates@co.example,D,31/31/2026,\n"
        "ok@co.example,Again,,\n"
        "flag@co.example,F,,maybe\n"
    )
    plan = _plan(company, bad)
    reasons = {r.line: (r.action, r.reason or "") for r in plan.rows}
    assert reasons[2][0] == "create"
    assert reasons[3] == ("reject", "the email cell is empty")
    assert reasons[4][0] == "reject" and "not an email address" in reasons[4][1]
    assert reasons[5][0] == "reject" and "startDate" in reasons[5][1]
    assert reasons[6] == ("reject", "same email as line 2 of this file")
    assert reasons[7][0] == "reject" and "active" in reasons[7][1]
    with pytest.raises(DirectoryError) as refused:
        _apply(company, bad)
    assert "nothing imported: 5 row(s) rejected" in refused.value.message
    assert _plan(company, "email\nok@co.example\n").rows[0].action == "create"  # nothing written
    no_email = _plan(company, "name,title\nx,y\n")
    assert no_email.file_error and "email column" in no_email.file_error
    company.client.close()


def test_custom_attribute_columns_come_from_the_registry(server: LiveServer) -> None:
    company = _scim_off(server)
    server.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customLevel", "number")
    )
    company.refresh()
    text = (
        "email,customLevel,customUnknown,favouriteColour\n"
        "a@co.example,3,x,blue\nb@co.example,high,,\n"
    )
    plan = _plan(company, text)
    assert plan.columns == ["email", "customLevel"]
    assert dict(plan.ignored_columns)["customUnknown"].startswith("not a custom attribute")
    assert "not an attribute" in dict(plan.ignored_columns)["favouriteColour"]
    assert plan.rows[0].action == "create"
    assert plan.rows[1].action == "reject" and "customLevel" in (plan.rows[1].reason or "")
    company.client.close()


def test_csv_is_refused_while_scim_is_on_until_support_allows_it(company: Company) -> None:
    with pytest.raises(DirectoryError) as refused:
        _apply(company, "email\nx@co.example\n")
    assert refused.value.kind == "forbidden" and "allow-csv" in refused.value.message
    client = signed_in(company)
    page = client.get("/admin/import")
    assert "CSV import is off" in page.text and "<fieldset disabled>" in page.text
    upload = client.http.post(
        "/admin/import",
        files={"file": ("people.csv", b"email\nx@co.example\n", "text/csv")},
        data={"csrf_token": client.csrf},
        headers=client._headers(),
    )
    assert upload.status_code == 403

    allowed = roster_cli(company.server, "support", "allow-csv", company.subdomain)
    assert allowed.returncode == 0, allowed.stderr
    upload = client.http.post(
        "/admin/import",
        files={"file": ("people.csv", b"email,givenName\nx@co.example,X\n", "text/csv")},
        data={"csrf_token": client.csrf},
        headers=client._headers(),
    )
    assert upload.status_code == 303
    preview = client.get(upload.headers["location"])
    assert "to create" in preview.text and "x@co.example" in preview.text
    apply_url = re.search(r'action="(/admin/import/[^"]+/apply)"', preview.text)
    assert apply_url is not None
    done = client.post(apply_url.group(1))
    assert done.status_code == 303 and "created=1" in done.headers["location"]
    # People imported while SCIM is on are linked when the IdP creates them.
    linked = company.client.post("/Users", json=okta_user("x@co.example"))
    assert linked.status_code == 201
    client.close()


def test_cli_import_with_progress_and_dry_run(server: LiveServer, tmp_path: Path) -> None:
    company = _scim_off(server)
    path = tmp_path / "people.csv"
    path.write_text(FILE)
    dry = roster_cli(server, "import-csv", company.subdomain, str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "3 would be created" in dry.stdout
    real = roster_cli(server, "import-csv", company.subdomain, str(path))
    assert real.returncode == 0, real.stderr
    assert "3 were created" in real.stdout and "writing people" in real.stderr
    again = roster_cli(server, "import-csv", company.subdomain, str(path))
    assert "0 were created, 0 were updated, 3 unchanged" in again.stdout
    path.write_text("email\nbad\n")
    failed = roster_cli(server, "import-csv", company.subdomain, str(path))
    assert failed.returncode == 1 and "line 2 (bad)" in failed.stderr
    company.client.close()


def test_admin_create_reads_the_password_from_stdin(server: LiveServer) -> None:
    company = make_company(server)
    made = roster_cli(
        server,
        "admin",
        "create",
        company.subdomain,
        "boss@co.example",
        stdin="a-long-password-123\n",
    )
    assert made.returncode == 0, made.stderr
    assert "Account Admin, Manage Integrations" in made.stdout
    short = roster_cli(
        server, "admin", "create", company.subdomain, "b@co.example", stdin="short\n"
    )
    assert short.returncode == 1 and "at least 12" in short.stderr
    company.client.close()
