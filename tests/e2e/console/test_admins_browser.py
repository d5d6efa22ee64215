"""Admins in a real browser (Playwright, Debian's Chromium; SQLite and PostgreSQL): an
Account Admin invites an admin with a 200-character unbroken email and name, the link
is shown once (a reload shows it no more and invites nobody again), the invitee opens
it in a fresh browser, sets a password and is signed in; roles change, a locked admin
is unlocked, an admin is removed, and the last Account Admin is kept with the refusal
in place. Every page is screenshotted at 1280 and 390 px into tests/artifacts/ and
checked for horizontal scrolling; axe-core finds no serious WCAG A/AA violation."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from roster.directory import admin_team, admins, tenants
from tests.support.browser import ARTIFACTS
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import LiveServer

AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
NEW_PASSWORD = "plum-orbit-lantern-quietly-9"


def test_admins_in_the_browser(server: LiveServer, chromium: object) -> None:
    from playwright.sync_api import Browser, Page, expect

    assert isinstance(chromium, Browser)
    subdomain = f"adm-{secrets.token_hex(3)}"
    server.call(lambda db: tenants.create_tenant(db, subdomain, "Admins Inc"))
    me = make_admin(server, subdomain, email="jordan@acme.example")
    long_local = "a" * 180
    long_email = f"{long_local}@example.com"
    long_name = "N" * 200
    ARTIFACTS.mkdir(exist_ok=True)
    script = AXE.read_text()
    problems: list[str] = []

    def shot(page: Page, name: str) -> None:
        path = ARTIFACTS / f"{server.backend}-admins-{name}.png"
        for width, suffix in ((1280, ""), (390, "-390")):
            page.set_viewport_size({"width": width, "height": 900})
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{name} scrolls sideways at {width} px ({wide} px)"
            page.screenshot(path=str(path.with_name(path.stem + suffix + ".png")), full_page=True)
            if server.backend == "sqlite":
                page.add_script_tag(content=script)
                found = page.evaluate(
                    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))"
                    ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
                    ".map(v => v.id + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
                )
                problems.extend(f"{name}@{width}: {f}" for f in found)
        page.set_viewport_size({"width": 1280, "height": 900})

    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, bypass_csp=True
    )
    page = context.new_page()
    page.goto("/admin/login")
    page.get_by_label("Company").fill(subdomain)
    page.get_by_label("Work email").fill(me)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Admins").click()
    expect(page.get_by_role("heading", name="Admins", level=1)).to_be_visible()
    shot(page, "list")

    # A bad email is explained in place, the input kept.
    page.get_by_label("Email", exact=True).fill("not-an-email")
    page.get_by_role("button", name="Invite admin").click()
    expect(page.get_by_role("alert")).to_contain_text("is not an email address")
    expect(page.get_by_label("Email", exact=True)).to_have_value("not-an-email")
    shot(page, "invite-error")

    # Invite: the link is shown once.
    page.get_by_label("Email", exact=True).fill(long_email)
    page.get_by_label("Name").fill(long_name)
    page.get_by_label("Manage Integrations").check()
    page.get_by_role("button", name="Invite admin").click()
    expect(page.get_by_role("status")).to_contain_text("Admin invited")
    link = page.locator("#set-password-link").input_value()
    assert re.fullmatch(rf"{re.escape(server.url)}/admin/set-password\?token=rstr_setpw_\S+", link)
    shot(page, "invited")
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("The link is not shown again")
    assert page.locator("#set-password-link").count() == 0
    views = server.call(lambda db: admin_team.list_admins(db, subdomain))
    assert [v.user.email for v in views].count(long_email) == 1 and len(views) == 2
    invited_id = next(v.user.id for v in views if v.user.email == long_email)

    # The invitee, in a fresh browser, sets a password and is signed in.
    theirs = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, bypass_csp=True
    )
    them = theirs.new_page()
    them.goto(link)
    expect(them.get_by_role("heading", name="Welcome to Roster")).to_be_visible()
    shot(them, "set-password")
    them.get_by_label("New password").fill("short")
    them.get_by_label("Type it again").fill("short")
    them.get_by_role("button", name="Set password and sign in").click()
    expect(them.get_by_role("alert")).to_contain_text("at least 12 characters")
    shot(them, "set-password-error")
    them.get_by_label("New password").fill(NEW_PASSWORD)
    them.get_by_label("Type it again").fill(NEW_PASSWORD)
    them.get_by_role("button", name="Set password and sign in").click()
    expect(them.get_by_role("heading", name="Overview")).to_be_visible()
    expect(them.locator(".whoami .who")).to_have_text(long_email)
    them.goto(link)
    expect(them.get_by_role("heading", name="This link no longer works")).to_be_visible()
    shot(them, "link-used")

    # Roles change: without Account Admin they are refused the page.
    page.goto(f"/admin/admins/{invited_id}")
    page.get_by_label("Account Admin").uncheck()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_contain_text("Roles saved")
    them.goto("/admin/admins")
    expect(them.get_by_role("heading", name="Account Admin access needed")).to_be_visible()
    shot(them, "forbidden")
    theirs.close()

    # A locked admin is unlocked.
    for _ in range(admins.EMAIL_FAILURES + 1):
        ConsoleClient(server.url).login(subdomain, long_email, "wrong-password-x")
    page.goto(f"/admin/admins/{invited_id}")
    expect(page.get_by_text("Too many failed passwords")).to_be_visible()
    shot(page, "locked")
    page.get_by_role("button", name="Unlock sign-in").click()
    expect(page.get_by_role("status")).to_contain_text("Sign-in unlocked")
    assert ConsoleClient(server.url).login(subdomain, long_email, NEW_PASSWORD).status_code == 303

    # The last Account Admin is kept: my own demotion is refused in place.
    page.goto("/admin/admins")
    page.get_by_role("link", name=me).click()
    page.get_by_label("Account Admin").uncheck()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("alert")).to_contain_text("without an Account Admin who can sign in")
    shot(page, "last-account-admin")

    # Remove, after a confirmation.
    page.goto(f"/admin/admins/{invited_id}")
    page.get_by_role("link", name="Remove…").click()
    expect(page.get_by_role("heading", name="Remove this admin?")).to_be_visible()
    shot(page, "remove")
    page.get_by_role("button", name="Remove admin").click()
    expect(page.get_by_role("status")).to_contain_text("Admin removed")
    assert page.get_by_text(long_email).count() == 0
    shot(page, "after-remove")
    context.close()
    assert not problems, "\n".join(problems)
