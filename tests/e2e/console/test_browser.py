"""The admin console in a real browser: Playwright driving Debian's Chromium against the
live test server, on SQLite and PostgreSQL. One flow, as an admin would do it: sign in,
enable SCIM, generate a token, provision a person with it over HTTP, see the person,
see a 409 explained in the log and on the troubleshooting page, CSV refused while SCIM
is on and allowed after `roster support allow-csv`. Every page is screenshotted into
tests/artifacts/ (gitignored) for a person to look at.

Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it); the
Playwright package drives it and never downloads a browser of its own."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
import pytest

from roster.directory import tenants, webhooks
from tests.support.browser import ARTIFACTS
from tests.support.console import PASSWORD, make_admin
from tests.support.harness import OKTA_HEADERS, LiveServer
from tests.support.helpers import roster_cli
from tests.support.users import okta_user


def test_admin_console_end_to_end(server: LiveServer, chromium: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(chromium, Browser)
    subdomain = f"acme-{secrets.token_hex(3)}"
    server.call(lambda db: tenants.create_tenant(db, subdomain, "Acme Inc"))
    email = make_admin(server, subdomain, email="jordan@acme.example")
    ARTIFACTS.mkdir(exist_ok=True)
    shots: list[str] = []

    context = chromium.new_context(viewport={"width": 1366, "height": 900}, base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def shot(name: str) -> None:
        """The page at 1366 px, then at a phone's 390 px (read by people, not asserted)."""
        path = ARTIFACTS / f"{server.backend}-{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(path.with_name(path.stem + "-390.png")), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})
        shots.append(path.name)

    def nav(name: str) -> None:
        menu = page.get_by_role("navigation", name="Console")
        menu.get_by_role("link", name=name, exact=True).click()

    # Sign in.
    page.goto("/admin/people")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("Company").fill(subdomain)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    shot("login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Manage People", level=1)).to_be_visible()
    nav("Overview")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    shot("overview")

    # Enable SCIM and generate a token.
    nav("Integrations")
    shot("integrations")
    page.get_by_role("button", name="Enable SCIM").click()
    expect(page.get_by_role("status")).to_contain_text("SCIM is enabled")
    page.get_by_label("Label").fill("Okta production")
    page.get_by_role("button", name="Generate token").click()
    token = page.locator("#new-token").input_value()
    assert token.startswith("rstr_scim_")
    expect(page.locator("#base-url")).to_have_value(f"{server.url}/scim/v2")
    page.get_by_role("button", name="Copy token").click()
    shot("scim-token")

    # The identity provider uses it.
    scim = httpx.Client(
        base_url=f"{server.url}/scim/v2",
        headers={**OKTA_HEADERS, "Authorization": f"Bearer {token}"},
        timeout=30,
    )
    created = scim.post("/Users", json=okta_user("pat.doe@acme.example", "Pat", "Doe"))
    assert created.status_code == 201, created.text
    duplicate = scim.post("/Users", json=okta_user("pat.doe@acme.example", "Patricia", "Doe"))
    assert duplicate.status_code == 409
    scim.close()

    page.goto("/admin/integrations/scim")
    row = page.locator("tbody tr", has_text="Okta production")
    expect(row).to_contain_text("Active")
    expect(row).not_to_contain_text("never")  # last used: just now

    # The person appears in Manage People (search updates in place with htmx).
    nav("Manage People")
    expect(page.get_by_role("button", name="Add person")).to_be_disabled()
    page.get_by_label("Search").fill("pat.doe")
    expect(page.locator("#results")).to_contain_text("1 person")
    expect(page).to_have_url(re.compile(r"q=pat\.doe"))
    shot("people")
    page.get_by_role("link", name="Pat Doe").click()
    expect(page.get_by_role("heading", name="Pat Doe")).to_be_visible()
    expect(page.get_by_text("Managed by your identity provider")).to_be_visible()
    shot("person")

    # The 409 in the provisioning log, first and explained.
    nav("Provisioning log")
    first = page.locator("#results tbody tr").first
    expect(first).to_contain_text("409")
    expect(first).to_contain_text("Okta")
    shot("log")
    first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Email address already in use")).to_be_visible()
    expect(page.locator(".error-detail")).to_contain_text("already taken")
    shot("log-409")

    nav("Troubleshooting")
    finding = page.locator("#email_conflict")
    expect(finding).to_contain_text("Problem")
    expect(finding).to_contain_text("pat.doe@acme.example")
    shot("troubleshooting")

    # CSV import: refused while SCIM is on, allowed after support allows it.
    csv_file = ARTIFACTS / f"{server.backend}-people.csv"
    csv_file.write_text(
        "email,givenName,familyName,title,manager\n"
        "sam.lee@acme.example,Sam,Lee,Designer,pat.doe@acme.example\n"
        "pat.doe@acme.example,,,Engineering Manager,\n"
    )
    nav("CSV import")
    expect(page.get_by_role("alert")).to_contain_text("CSV import is off while SCIM is on")
    expect(page.get_by_role("button", name="Preview import")).to_be_disabled()
    shot("import-refused")
    allowed = roster_cli(server, "support", "allow-csv", subdomain)
    assert allowed.returncode == 0, allowed.stderr
    page.reload()
    page.get_by_label("CSV file (UTF-8)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview import").click()
    expect(page.get_by_role("link", name="1 to create")).to_be_visible()
    expect(page.get_by_role("link", name="1 to update")).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("Update")
    shot("import-preview")
    page.get_by_role("button", name=re.compile(r"Import 2 changes")).click()
    expect(page.get_by_role("status")).to_contain_text("1 created, 1 updated")
    shot("import-done")

    # Groups and custom attributes.
    nav("Groups")
    page.get_by_placeholder("Name").fill("Design guild")
    page.get_by_role("combobox", name="Type").select_option("Teams")
    page.get_by_role("button", name="Create").click()
    page.get_by_placeholder("Email or employee number").fill("sam.lee@acme.example")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("table")).to_contain_text("Sam Lee")
    shot("group")
    nav("Groups")
    expect(page.locator("table")).to_contain_text("Design guild")
    shot("groups")
    nav("Custom attributes")
    page.get_by_label("Name").fill("customShirtSize")
    page.get_by_role("button", name="Define").click()
    expect(page.locator("table")).to_contain_text("customShirtSize")
    shot("attributes")
    page.goto("/admin/integrations/sso")
    expect(page.get_by_role("heading", name="SAML Single Sign-On", level=1)).to_be_visible()
    shot("sso")
    page.goto("/admin/people/sam")
    expect(page.get_by_role("heading", name="Person not found")).to_be_visible()
    page.goto("/admin/people")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to the admin console")).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()

    # Without JavaScript the basic flows still work.
    plain = chromium.new_context(java_script_enabled=False, base_url=server.url)
    page = plain.new_page()
    page.goto("/admin/login")
    page.get_by_label("Company").fill(subdomain)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/admin/people")
    page.get_by_label("Search").fill("sam")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results")).to_contain_text("Sam Lee")
    shot("people-no-js")
    plain.close()
    assert len(shots) >= 15


AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
A11Y_PAGES = [
    "/admin",
    "/admin/integrations",
    "/admin/integrations/scim",
    "/admin/integrations/sso",
    "/admin/integrations/webhooks",
    "/admin/people",
    "/admin/people/new",
    "/admin/import",
    "/admin/groups",
    "/admin/attributes",
    "/admin/log",
    "/admin/troubleshooting",
]


def test_console_pages_pass_axe_accessibility_checks(server: LiveServer, chromium: object) -> None:
    """axe-core (WCAG 2 A and AA rules) on every console page: no serious or critical
    violations. Runs once, on SQLite (markup does not depend on the database)."""
    from playwright.sync_api import Browser

    assert isinstance(chromium, Browser)
    if server.backend != "sqlite":
        pytest.skip("markup is the same on every database")
    subdomain = f"a11y-{secrets.token_hex(3)}"
    server.call(lambda db: tenants.create_tenant(db, subdomain, "Access Inc"))
    email = make_admin(server, subdomain)
    # axe is injected as an inline script, which the console's CSP forbids by design.
    context = chromium.new_context(base_url=server.url, bypass_csp=True)
    page = context.new_page()
    script = AXE.read_text()

    def check(path: str) -> list[str]:
        page.goto(path)
        page.add_script_tag(content=script)
        result = page.evaluate(
            "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.help + ' @ '"
            " + v.nodes.map(n => n.target.join(' ')).join(', '))"
        )
        return [f"{path} {r}" for r in result]

    problems = check("/admin/login")
    page.get_by_label("Company").fill(subdomain)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin")
    endpoint, _ = server.call(
        lambda db: webhooks.add_endpoint(
            db, subdomain, "http://127.0.0.1:9/hooks", ["person.created"], allow_private=True
        )
    )
    endpoint_pages = [f"/admin/integrations/webhooks/{endpoint.id}{end}" for end in ("", "/remove")]
    for path in A11Y_PAGES + endpoint_pages:
        problems += check(path)
    context.close()
    assert not problems, "\n".join(problems)
