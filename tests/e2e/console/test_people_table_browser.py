"""Manage People's table in a real browser (Playwright driving Debian's Chromium, on
SQLite and PostgreSQL): about 60 people, one with a 200-character unbroken name; sort by
a header both ways, filter with the form, change the page size, page on with the
filters kept, the export link carrying the view, and both empty states. Every state is
screenshotted at 1280 and 390 px into tests/artifacts/, must not scroll sideways at
either width and passes axe's WCAG 2 A/AA rules (the Admin helper of
test_person_edit_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tests.e2e.console.test_person_edit_browser import LONG
from tests.e2e.console.test_person_edit_browser import Admin as BrowserAdmin
from tests.support.browser import ARTIFACTS
from tests.support.harness import Company
from tests.support.people import seed


@pytest.fixture
def admin(company: Company, chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    browser = BrowserAdmin(company, chromium, request.node.originalname.removeprefix("test_"))
    yield browser
    browser.close()


def test_sort_filter_page_and_export_link(company: Company, admin: Any) -> None:
    from playwright.sync_api import expect

    departments = ["Engineering", "Sales", "Support"]
    seed(
        company,
        [
            {
                "given_name": f"Person{i:02d}",
                "family_name": "Example",
                "department": departments[i % 3],
                "title": f"Title {i % 7}",
                "location": "Berlin, DE" if i % 2 else "Lisbon, PT",
                "start_date": date(2020 + i % 5, 1 + i % 12, 1),
                "active": i % 10 != 0,
            }
            for i in range(60)
        ]
        + [{"display_name": LONG, "department": "D" * 200, "title": LONG, "location": LONG}],
    )
    page = admin.page
    page.goto("/admin/people")
    count = page.locator(".people-count")
    expect(count).to_have_text("1–50 of 61 people")
    admin.look("list")

    page.get_by_role("link", name="Department", exact=True).click()
    header = page.locator("th[aria-sort]")
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(header).to_contain_text("Department")
    first_cells = page.locator(".people-table tbody tr td[data-label='Department']")
    expect(first_cells.first).to_have_text("D" * 200)
    admin.look("sorted-ascending")  # the 200-character values on screen
    for width in (1280, 390):  # the first screen alone, to read at full size
        page.set_viewport_size({"width": width, "height": 900})
        shot = ARTIFACTS / f"{company.server.backend}-people-rows-{width}.png"
        page.locator("#results tbody tr").nth(0).screenshot(path=str(shot))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name=re.compile("^Department")).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    expect(first_cells.first).to_have_text("Support")
    assert "sort=department" in page.url and "dir=desc" in page.url
    admin.look("sorted")

    page.get_by_label("Department").fill("engineering")
    page.get_by_label("Location").fill("berlin")
    page.get_by_role("button", name="Search").click()
    expect(count).to_have_text("1–10 of 10 people")
    assert "department=engineering" in page.url and "location=berlin" in page.url
    # The sort survived the filter.
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    export = page.locator("#export-csv")
    href = export.get_attribute("href") or ""
    assert "department=engineering" in href and "sort=department" in href

    page.get_by_role("link", name="Clear filters").first.click()
    expect(count).to_have_text("1–50 of 61 people")
    page.get_by_label("Per page").select_option("25")
    expect(count).to_have_text("1–25 of 61 people")
    page.get_by_label("Status").select_option("active")
    expect(count).to_have_text("1–25 of 55 people")
    page.get_by_role("link", name="Next →").click()
    expect(count).to_have_text("26–50 of 55 people")
    assert "size=25" in page.url and "status=active" in page.url and "after=" in page.url
    admin.look("page-two")
    page.get_by_role("link", name="← Previous").click()
    expect(count).to_have_text("1–25 of 55 people")

    page.get_by_label("Search").fill("nobody-matches-this")
    expect(page.get_by_text("No one matches these filters.")).to_be_visible()
    admin.look("no-match")


def test_empty_company_says_what_to_do(company: Company, admin: Any) -> None:
    from playwright.sync_api import expect

    admin.page.goto("/admin/people")
    expect(admin.page.get_by_text("No people yet.")).to_be_visible()
    expect(admin.page.get_by_role("link", name="Integrations → SCIM")).to_be_visible()
    admin.look("empty")
