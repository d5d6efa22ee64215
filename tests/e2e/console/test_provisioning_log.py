"""The provisioning log (every SCIM request, redacted) and troubleshooting (the console
page and `roster doctor`), on both databases."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from html import unescape
from typing import Any

from roster.directory import provisioning_log, tenants
from roster.directory.outbox import recent
from roster.scim.dialects import idp_name
from roster.store import provisioning_log as log_store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.types import utcnow
from tests.support.console import eventually, signed_in
from tests.support.harness import Company, LiveServer, make_company
from tests.support.users import okta_user


def _entries(company: Company, **filters: Any) -> list[dict[str, Any]]:
    async def go(db: Database) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return await log_store.list_entries(conn, company.tenant.id, limit=100, **filters)

    return company.call(go)


def test_every_scim_request_is_logged_with_secrets_redacted(company: Company) -> None:
    body = okta_user("log.me@co.example")
    body["password"] = "Sup3r-secret!"
    created = company.client.post("/Users", json=body)
    assert created.status_code == 201
    person = created.json()["id"]
    conflict = company.client.post("/Users", json=okta_user("log.me@co.example"))
    assert conflict.status_code == 409
    assert company.client.get("/Users/None").status_code == 404
    company.client.patch(
        f"/Users/{person}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "password", "value": "An0ther-secret"}],
        },
    )
    entries = eventually(lambda: (e := _entries(company)) and len(e) >= 4 and e)
    by_status = {e["status"]: e for e in entries}
    create = by_status[201]
    assert create["method"] == "POST" and create["path"] == "/scim/v2/Users"
    assert idp_name(create["client"]) == "Okta"
    assert create["resource_type"] == "User" and create["resource_id"] == person
    assert create["token_id"] == company.token_id and create["duration_ms"] > 0
    assert create["request"]["password"] == "[REDACTED]"
    assert (
        "already" in by_status[409]["error_detail"]
        and "[uniqueness]" in by_status[409]["error_detail"]
    )
    assert by_status[404]["resource_id"] == "None"
    everything = json.dumps(entries, default=str)
    assert "Sup3r-secret" not in everything and "An0ther-secret" not in everything
    assert company.token not in everything


def test_log_page_lists_failures_first_and_explains_them(company: Company) -> None:
    company.client.post("/Users", json=okta_user("dup@co.example"))
    company.client.post("/Users", json=okta_user("dup@co.example"))
    company.client.get("/Users?filter=userName%20eq%20%22dup%40co.example%22")
    client = signed_in(company)
    page = client.get("/admin/log")
    assert page.status_code == 200
    rows = page.text.split("<tbody>", 1)[1]
    # failures first (matched as the status cells: a row's id may contain "201")
    assert rows.index(">409<") < rows.index(">201<")
    assert "3 requests" in page.text and "Okta" in page.text
    failures = client.get("/admin/log?outcome=failures")
    assert "1 request" in failures.text and ">201<" not in failures.text
    entry = next(e for e in _entries(company) if e["status"] == 409)
    detail = client.get(f"/admin/log/{entry['id']}")
    assert "Email address already in use" in detail.text and "What to do" in detail.text
    assert "dup@co.example" in detail.text
    holder = next(e for e in _entries(company) if e["status"] == 201)["resource_id"]
    assert f'href="/admin/people/{holder}">the person who has this email' in detail.text
    saved = client.post("/admin/log/retention", {"days": "7"})
    assert saved.status_code == 303 and company.refresh().setting("log_retention_days") == 7
    client.close()


def test_a_logged_request_says_what_roster_did_with_it(company: Company) -> None:
    body = okta_user("kept.or.not@co.example")
    body["password"] = "Okta-r4ndom!"
    body["nickName"] = "Kit"  # kept
    body["favoriteColor"] = "green"  # in no schema: accepted and noted
    created = company.client.post("/Users", json=body)
    assert created.status_code == 201
    entry = eventually(lambda: next((e for e in _entries(company) if e["status"] == 201), None))
    client = signed_in(company)
    detail = client.get(f"/admin/log/{entry['id']}")
    assert detail.status_code == 200
    done = detail.text.split("What Roster did", 1)[1].split("</section>", 1)[0]
    assert "person.create" in done
    assert "password discarded: the company does not accept passwords" in done
    assert (
        "not kept: favoriteColor — it is in no schema Roster knows; map it to a custom "
        "attribute to keep it" in done
    )
    assert "nickName" not in done and "nick name" in done  # among the fields written
    client.close()


def test_retention_purges_old_entries(company: Company) -> None:
    old = utcnow() - timedelta(days=40)

    async def seed(db: Database) -> int:
        async with db.write() as conn:
            await log_store.insert_entries(
                conn,
                [
                    {
                        "tenant_id": company.tenant.id,
                        "id": log_store.id_floor(old)[:-12] + new_id()[-12:],
                        "at": old,
                        "method": "GET",
                        "path": "/scim/v2/Users",
                        "status": 200,
                        "duration_ms": 1.0,
                    }
                ],
            )
        return await provisioning_log.purge(db, company.tenant.id)

    assert company.call(seed) == 1


def _doctor(server: LiveServer, subdomain: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROSTER_DATABASE_URL": server.database_url, "ROSTER_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "roster", "doctor", subdomain],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_troubleshooting_finds_each_common_failure(server: LiveServer) -> None:
    company = make_company(server)
    urn = server.settings.company_extension_urn
    # A person from before SCIM (CSV, never linked), and a deactivated holder of an email.
    server.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    server.call(
        lambda db: tenants.update_settings(db, company.subdomain, link_existing_people=False)
    )
    from roster.directory import csv_import

    async def seed(db: Database) -> None:
        tenant = await tenants.get_tenant(db, company.subdomain)
        await csv_import.apply(
            db,
            tenant,
            "email,givenName\nearly.bird@co.example,Early\n",
            actor=csv_import.Actor("cli"),
        )
        await tenants.add_custom_attribute(db, company.subdomain, "customNeverSent", "string")

    server.call(seed)
    server.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, True))
    c = company.client
    assert c.post("/Users", json=okta_user("early.bird@co.example")).status_code == 409
    assert c.get("/Users/None").status_code == 404
    body = okta_user("report@co.example")
    body["schemas"].append(urn)
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = {
        "manager": {"value": "boss@nowhere.example"}
    }
    body[urn] = {"location": "Paris"}
    assert c.post("/Users", json=body).status_code == 201
    bad_date = okta_user("dated@co.example")
    bad_date[urn] = {"startDate": "next tuesday"}
    assert c.post("/Users", json=bad_date).status_code == 400

    client = signed_in(company)
    page = eventually(
        lambda: (p := client.get("/admin/troubleshooting")) and "early.bird" in p.text and p
    )
    text = page.text
    for title in (
        "Email address already in use",
        "Resource None not found",
        "Updates or deprovisioning not working for some users",
        "Manager not syncing",
        "Start date or location not syncing",
        "Custom attributes not syncing",
    ):
        assert title in text, title
    assert "held by Early &lt;early.bird@co.example&gt;, who existed before SCIM" in text
    assert "boss@nowhere.example" in text
    assert "customNeverSent" in text
    assert "next tuesday" in text
    assert "literally &#34;None&#34;" in text or 'literally "None"' in text

    doctor = _doctor(server, company.subdomain)
    assert doctor.returncode == 2, doctor.stderr
    assert "PROBLEM Email address already in use" in doctor.stdout
    assert "PROBLEM Resource None not found" in doctor.stdout
    assert "early.bird@co.example" in doctor.stdout
    client.close()
    company.client.close()


def test_troubleshooting_names_what_the_identity_provider_sends_and_roster_does_not_keep(
    company: Company,
) -> None:
    client = signed_in(company)
    finding = '<section class="card finding {}" id="not_kept"'
    page = client.get("/admin/troubleshooting").text
    assert finding.format("ok") in page
    assert "Everything the identity provider sent in the last 30 days is kept." in page
    body = okta_user("sends.more@co.example")
    body["nickName"] = "Kit"  # kept: no finding
    body["favoriteColor"] = "green"
    body["urn:example:acme:2.0:User"] = {"shoeSize": 9}
    created = company.client.post("/Users", json=body)
    assert created.status_code == 201
    request_id = created.headers["x-request-id"]
    # The same attribute again, on a PATCH that changes nothing else: counted once more.
    again = company.client.patch(
        f"/Users/{created.json()['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "favoriteColor", "value": "red"}],
        },
    )
    assert again.status_code == 200
    text = unescape(client.get("/admin/troubleshooting").text)
    assert finding.format("warning") in text
    assert (
        "Your identity provider sends favoriteColor, urn:example:acme:2.0:User:shoeSize, "
        "which Roster does not keep — map each to a custom attribute." in text
    )
    assert (
        "your identity provider sends favoriteColor, which Roster does not keep — map it to "
        "a custom attribute (in 2 recent change(s)" in text
    )
    assert f'href="/admin/log?q={request_id}">urn:example:acme:2.0:User:shoeSize' in text
    assert "nickName" not in text.split('id="not_kept"', 1)[1].split("</section>", 1)[0]
    client.close()


def test_quiet_connection_and_welcome_emails(server: LiveServer) -> None:
    company = make_company(server, send_welcome_email=True)
    client = signed_in(company)
    text = client.get("/admin/troubleshooting").text
    assert "no token has been used in 7 days (never)" in text
    company.client.post("/Users", json=okta_user("welcome@co.example"))
    outbox = company.call(lambda db: recent(db, company.tenant))
    assert [m["recipient"] for m in outbox] == ["welcome@co.example"]
    assert "SCIM enabled but nothing arrives" in client.get("/admin/troubleshooting").text
    client.close()
    company.client.close()


def test_the_log_shows_seconds_and_which_token_sent_each_request(company: Company) -> None:
    async def label(db: Database) -> str:
        async with db.read() as conn:
            tokens = await tenant_store.list_tokens(conn, company.tenant.id)
        return next(t.label for t in tokens if t.id == company.token_id)

    token_label = company.call(label)
    assert company.client.get("/Users/00000000-0000-7000-8000-000000000001").status_code == 404
    client = signed_in(company)
    page = client.get("/admin/log")
    assert page.status_code == 200
    assert f"token {token_label}" in page.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</a>", page.text), page.text[:2000]
    entry = re.search(r'href="/admin/log/([0-9a-f-]{36})"', page.text)
    assert entry
    detail = client.get(f"/admin/log/{entry.group(1)}").text
    assert f"{token_label} <span" in detail
