"""Editing and offboarding people in a real browser (Playwright driving Debian's
Chromium, on SQLite and PostgreSQL): an edit of a title, a date, a custom attribute and
a manager found by searching; an unknown manager shown in place (bad dates, which a
date input cannot type, are test_person_edit.py's); the identity provider's fields
read-only while SCIM is on and the timezone still saved; deactivate, reactivate, delete
and restore through their confirmation pages; and Okta's 409 fixed from the log entry
in three clicks, after which Okta's create succeeds. Every page is screenshotted at 1280
and 390 px into tests/artifacts/, must not scroll sideways at either width (one person
has a 200-character unbroken name) and passes axe's WCAG 2 A/AA rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from roster.directory import tenants
from tests.support.browser import ARTIFACTS, sign_in
from tests.support.console import make_admin
from tests.support.harness import Company
from tests.support.users import create, deactivate, okta_user, stored
from tests.support.webhooks import company_events, last_seq

AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
LONG = "W" * 200  # one unbroken word


class Admin:
    """A signed-in browser page, and what every page it visits must be."""

    def __init__(self, company: Company, chromium: Any, name: str) -> None:
        self.company = company
        self.name = name
        self.email = make_admin(company.server, company.subdomain)
        # axe is injected as an inline script, which the console's CSP forbids by design.
        self.context = chromium.new_context(
            viewport={"width": 1280, "height": 900},
            base_url=company.server.url,
            bypass_csp=True,
        )
        self.page = self.context.new_page()
        self.problems: list[str] = []
        sign_in(self.page, company.subdomain, self.email)

    def look(self, shot: str) -> None:
        """Screenshots at 1280 and 390 px; no sideways scroll and no axe violation at
        either width."""
        ARTIFACTS.mkdir(exist_ok=True)
        for width in (1280, 390):
            self.page.set_viewport_size({"width": width, "height": 900})
            path = ARTIFACTS / f"{self.company.server.backend}-{self.name}-{shot}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)
            overflow = self.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                self.problems.append(f"{shot} at {width} px scrolls sideways by {overflow} px")
            self.page.add_script_tag(content=AXE.read_text())
            found = self.page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))"
                ".violations.map(v => v.id + ': ' + v.help + ' @ '"
                " + v.nodes.map(n => n.target.join(' ')).join(', '))"
            )
            self.problems += [f"{shot} at {width} px: {v}" for v in found]
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def close(self) -> None:
        self.context.close()
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def admin(company: Company, chromium: Any, request: pytest.FixtureRequest) -> Iterator[Admin]:
    browser = Admin(company, chromium, request.node.originalname.removeprefix("test_"))
    yield browser
    browser.close()


def _scim(company: Company, on: bool) -> None:
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, on))
    company.refresh()


def test_edit_with_scim_off(company: Company, admin: Admin) -> None:
    from playwright.sync_api import expect

    company.call(
        lambda db: tenants.add_custom_attribute(db, company.subdomain, "customBadge", "number")
    )
    grace = create(company, okta_user("grace@acme.example", "Grace", "Hopper"))["id"]
    linus = create(
        company,
        okta_user("linus@acme.example", "Linus", "Long", displayName=LONG, title=LONG),
    )["id"]
    _scim(company, False)
    start = last_seq(company)
    page = admin.page
    page.goto(f"/admin/people/{linus}")
    admin.look("person-page")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit")
    admin.look("edit-form")
    page.get_by_label("Title").fill("Staff Engineer")
    page.get_by_label("Start date").fill("2026-03-02")
    page.get_by_label("customBadge").fill("42")
    page.get_by_label("Manager").fill("Grace")
    page.get_by_role("button", name="Search people").click()
    admin.look("edit-manager-search")
    # What was typed before the search is still there.
    expect(page.get_by_label("Title")).to_have_value("Staff Engineer")
    page.get_by_role("radio", name=re.compile("Grace Hopper")).check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    person = stored(company, linus)
    assert person["title"] == "Staff Engineer" and str(person["start_date"]) == "2026-03-02"
    assert person["custom"] == {"customBadge": 42} and person["manager_id"] == grace
    events = company_events(company, after=start)
    assert [e["type"] for e in events] == ["person.updated", "person.manager_changed"]
    assert events[0]["actor"] == f"admin:{admin.email}"
    # An unknown manager: in place, kept, nothing changed.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Title").fill("Not saved")
    page.get_by_label("Manager").fill("nobody@acme.example")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("matches nobody")
    expect(page.get_by_label("Title")).to_have_value("Not saved")
    expect(page.get_by_label("Manager")).to_have_attribute("aria-invalid", "true")
    admin.look("edit-error")
    assert stored(company, linus)["title"] == "Staff Engineer"


def test_edit_with_scim_on(company: Company, admin: Admin) -> None:
    from playwright.sync_api import expect

    ada = create(company, okta_user("ada@acme.example", "Ada", "Lovelace"))["id"]
    page = admin.page
    page.goto(f"/admin/people/{ada}")
    expect(page.get_by_text("your identity provider deactivates")).to_be_visible()
    expect(page.get_by_role("link", name="Deactivate…")).to_have_count(0)
    admin.look("person-page-scim-on")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_be_disabled()
    expect(page.get_by_label("Manager")).to_be_disabled()
    expect(page.get_by_text("Managed by your identity provider").first).to_be_visible()
    admin.look("edit-form-scim-on")
    page.get_by_label("Timezone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    assert stored(company, ada)["timezone"] == "Asia/Tokyo"


def test_deactivate_reactivate_delete_restore(company: Company, admin: Admin) -> None:
    from playwright.sync_api import expect

    ada = create(company, okta_user("ada@acme.example", "Ada", "Lovelace", displayName=LONG))["id"]
    _scim(company, False)
    page = admin.page
    page.goto(f"/admin/people/{ada}")
    for link, button, notice, active in (
        ("Deactivate…", "Deactivate", "Person deactivated.", False),
        ("Reactivate…", "Reactivate", "Person reactivated.", True),
        ("Delete…", "Delete", "Person deleted.", True),
        ("Restore…", "Restore", "Person restored.", True),
    ):
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=2)).to_contain_text(LONG)
        admin.look(f"confirm-{button.lower()}")
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_role("status").first).to_contain_text(notice)
        assert stored(company, ada)["active"] is active
    assert stored(company, ada)["deleted_at"] is None


def test_a_409_is_fixed_from_the_log_entry_in_three_clicks(company: Company, admin: Admin) -> None:
    from playwright.sync_api import expect

    old = create(company, okta_user("sam@acme.example", "Sam", "Old", displayName=LONG))["id"]
    deactivate(company, old)
    newcomer = okta_user("sam@acme.example", "Sam", "New", external_id="00usamnew")
    assert company.client.post("/Users", json=newcomer).status_code == 409
    page = admin.page
    page.goto("/admin/troubleshooting")
    expect(page.get_by_role("link", name="Free this email")).to_be_visible()
    admin.look("troubleshooting")
    page.goto("/admin/log?status=409")
    clicks = 0
    page.locator('a[href^="/admin/log/"]').filter(has_text=re.compile(r"\d")).first.click()
    clicks += 1
    expect(page.get_by_role("heading", name="Email address already in use")).to_be_visible()
    admin.look("log-entry-409")
    page.get_by_role("link", name="Free this email").click()
    clicks += 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Free this person's email?")
    admin.look("confirm-free-email")
    page.get_by_role("button", name="Free this email").click()
    clicks += 1
    expect(page.get_by_role("status").first).to_contain_text("Email freed.")
    admin.look("person-page-freed")
    assert clicks == 3
    assert stored(company, old)["email"] == f"freed+{old}@roster.invalid"
    # Okta retries the assignment: its create now succeeds.
    created = company.client.post("/Users", json=newcomer)
    assert created.status_code == 201, created.text
