"""Every console page in a real browser (Playwright driving Debian's Chromium, on SQLite
and PostgreSQL), at 1280 and 390 px, filled with awkward data: a person, a group and an
admin with 200-character unbroken names, long custom attribute values, a webhook URL of
300 characters, a provisioning log entry whose request body is all long strings.

On every page at both widths: no sideways scroll (the page's scrollWidth fits its
clientWidth), no axe-core WCAG 2.1 A/AA violation of any impact, no SCIM jargon in the
text an admin reads, a focus ring of at least 3:1 against what surrounds it on every
element the Tab key reaches, and the menu collapsed behind "Menu" at 390 px and open
at 1280. The list of pages comes from the route table, so a page added later fails
here until it is visited. Screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from roster.directory import admin_team, admins
from roster.directory import tenants as tenant_commands
from roster.directory.audit import SYSTEM
from roster.store.db import Database
from tests.support.browser import ARTIFACTS, sign_in
from tests.support.console import PASSWORD, eventually, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company, LiveServer, make_company
from tests.support.routes import all_routes
from tests.support.sso_flow import enable_sso
from tests.support.users import FIFTEEN_FIVE, create, okta_user
from tests.support.webhooks import add_endpoint

AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
WIDTHS = (1280, 390)
LONG = "W" * 200  # one unbroken word
AXE_RULES = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']"
# Downloads, and the pages seen signed out or as an error (visited by their own steps).
NOT_PAGES = {
    "/admin/import/template.csv",
    "/admin/people/export.csv",
    "/admin/login",
    "/admin/set-password",
    "/admin/{path:anypath}",
}
# SCIM's attribute names and the IdP abbreviation, which an admin should not have to read.
# Request bodies, paths and values to paste into an IdP are shown in <pre>, <code> or
# .mono (or are input values), and the messages Roster answered an IdP with are marked
# .verbatim: those are quoted as they were, and not read here.
JARGON = re.compile(
    r"\bIdPs?\b|\b(?:userName|externalId|displayName|givenName|familyName|middleName"
    r"|employeeNumber|costCenter|preferredLanguage|nickName|profileUrl|userType"
    r"|phoneNumbers|lastModified|resourceType)\b"
)

# The visible text an admin reads, without code, request bodies and form values.
READ_TEXT = """() => {
  const skip = 'pre, code, .mono, .verbatim, script, style, textarea, select, [hidden]';
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    if (node.textContent.trim()) out.push(node.textContent.trim());
  }
  return out.join(' | ');
}"""

# The focused element's ring: its outline (style, width) and the contrast of the outline's
# colour with the colours just outside it (or inside it, for a ring drawn within the
# edge), each the stack of backgrounds painted at that point composited over white.
# A checkbox drawn as a switch is transparent; its switch (next sibling) shows the ring.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  let ring = el;
  if (parseFloat(getComputedStyle(el).opacity) === 0 && el.nextElementSibling)
    ring = el.nextElementSibling;
  const cs = getComputedStyle(ring);
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
  const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '')
    + ' "' + text.slice(0, 30) + '"';
  const rgba = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const over = (top, below) => [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3]));
  const backdrop = (x, y) => {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return null;
    const layers = [];
    for (const e of document.elementsFromPoint(x, y)) {
      if (e === ring) continue;
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255];
    for (const c of layers.reverse()) colour = over(c, colour);
    return colour;
  };
  const r = ring.getBoundingClientRect();
  if (r.width < 2 || r.height < 2) return {name, problem: 'the focused element is not visible'};
  const width = parseFloat(cs.outlineWidth) || 0;
  if (cs.outlineStyle === 'none' || width < 2)
    return {name, problem: 'no focus outline (' + cs.outlineStyle + ' ' + width + 'px)'};
  const colour = rgba(cs.outlineColor);
  if (!colour) return {name, problem: 'outline colour ' + cs.outlineColor + ' not understood'};
  const offset = parseFloat(cs.outlineOffset) || 0;
  const d = offset >= 0 ? offset + width + 1 : offset - 1;
  const mx = (r.left + r.right) / 2, my = (r.top + r.bottom) / 2;
  let worst = null;
  for (const [x, y] of [[r.left - d, my], [r.right + d, my], [mx, r.top - d], [mx, r.bottom + d]]) {
    const b = backdrop(x, y);
    if (!b) continue;
    const c = ratio(colour, b);
    if (worst === null || c < worst) worst = c;
  }
  return {name, ratio: worst};
}"""


class Tour:
    """One browser page, and what every page it opens must be."""

    def __init__(self, page: Any, backend: str) -> None:
        self.page = page
        self.backend = backend
        self.problems: list[str] = []
        self.axe = AXE.read_text()
        self.seen: list[str] = []
        self.focus_checked = 0

    def visit(self, url: str, name: str, *, status: int = 200, menu: bool = True) -> None:
        response = self.page.goto(url)
        assert response is not None
        if response.status != status:
            self.problems.append(f"{name}: {url} answered {response.status}, not {status}")
        self.seen.append(name)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.look(name, width, menu=menu)
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def look(self, name: str, width: int, *, menu: bool) -> None:
        page, where = self.page, f"{name} at {width} px"
        shot = ARTIFACTS / f"{self.backend}-pages-{name}-{width}"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=f"{shot}.png", full_page=True)
        page.screenshot(path=f"{shot}-first-screen.png")
        sideways = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if sideways > 0:
            widest = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => "
                "e.getBoundingClientRect().right > innerWidth + 1 && "
                "![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))"
                ".slice(0, 4).map(e => e.tagName + '.' + e.className)"
            )
            self.problems.append(f"{where} scrolls sideways by {sideways} px: {widest}")
        if menu:
            self.check_menu(where, width)
        jargon = sorted(set(JARGON.findall(page.evaluate(READ_TEXT))))
        if jargon:
            self.problems.append(f"{where} shows SCIM jargon: {jargon}")
        self.check_focus(where)
        page.add_script_tag(content=self.axe)
        found = page.evaluate(
            f"async () => (await axe.run(document, {{runOnly: {AXE_RULES}}})).violations"
            ".map(v => v.id + ' (' + v.impact + '): ' + v.help + ' @ '"
            " + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
        )
        self.problems += [f"{where}: axe {v}" for v in found]

    def check_menu(self, where: str, width: int) -> None:
        page = self.page
        nav = page.get_by_role("navigation", name="Console")
        toggle = page.locator("summary.menu-toggle")
        current = page.locator("nav[aria-label='Console'] a[aria-current='page']")
        if current.count() > 1:
            self.problems.append(f"{where}: {current.count()} links marked as the current page")
        if width >= 1280:
            if not nav.is_visible() or toggle.is_visible():
                self.problems.append(f"{where}: the menu is not shown open")
        elif nav.is_visible() or not toggle.is_visible():
            self.problems.append(f"{where}: the menu is not collapsed behind Menu")

    def check_focus(self, where: str) -> None:
        """Tab through the page: every element reached has a visible ring of 3:1."""
        page = self.page
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.evaluate("window.scrollTo(0, 0)")
        first = None
        for _ in range(250):
            page.keyboard.press("Tab")
            key = page.evaluate(
                "(() => { const e = document.activeElement; if (!e || e === document.body) "
                "return null; e.dataset.tabSeen = e.dataset.tabSeen || Math.random(); "
                "return e.dataset.tabSeen; })()"
            )
            if key is None or key == first:
                break
            first = first or key
            ring = page.evaluate(FOCUS_RING)
            if ring is None:
                continue
            self.focus_checked += 1
            if "problem" in ring:
                self.problems.append(f"{where}: {ring['name']}: {ring['problem']}")
            elif ring["ratio"] is not None and ring["ratio"] < 3:
                self.problems.append(
                    f"{where}: {ring['name']}: focus ring {ring['ratio']:.2f}:1 against "
                    "its surroundings (3:1 needed)"
                )

    def done(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def _seed(server: LiveServer) -> tuple[Company, dict[str, str]]:
    """A company with SCIM, SSO, a webhook, an import and every kind of long value; the
    ids each console address needs."""
    company = make_company(server, allow_csv_import=True)
    enable_sso(company, allow_password_signin=True)
    subdomain = company.subdomain
    for name, kind in (("customNote", "string"), ("customLevel", "number")):
        company.call(
            lambda db, n=name, k=kind: tenant_commands.add_custom_attribute(db, subdomain, n, k)
        )
    grace = create(company, okta_user("grace@acme.example", "Grace", "Hopper"))["id"]
    long_body = okta_user(
        "linus@acme.example",
        LONG,
        LONG,
        displayName=LONG,
        title=LONG,
        nickName=LONG,
        **{FIFTEEN_FIVE: {"customNote": "V" * 600, "customLevel": 7}},
    )
    long_body["schemas"] = [*long_body["schemas"], FIFTEEN_FIVE]
    long_body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = {
        "department": LONG,
        "costCenter": "C" * 200,
        "manager": {"value": grace},
    }
    linus = create(company, long_body)["id"]
    held = "a" * 150 + "@acme.example"
    ada = create(company, okta_user(held, "A" * 200, "Lovelace", active=False))["id"]
    gone = create(company, okta_user("gone@acme.example", "Gone", "Person"))["id"]
    assert company.client.delete(f"/Users/{gone}").status_code == 204
    # The IdP's 409: an email held by a deactivated person (the log explains it).
    assert company.client.post("/Users", json=okta_user(held)).status_code == 409
    # Okta's lookup, with a long unbroken filter in the path.
    found = company.client.get("/Users", params={"filter": f'userName eq "{"x" * 300}"'})
    assert found.status_code == 200
    group = company.client.post(
        "/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "G" * 200,
            "members": [{"value": linus}, {"value": grace}],
        },
    )
    assert group.status_code == 201, group.text
    endpoint, _ = add_endpoint(company, "http://127.0.0.1:9/" + "p" * 300, ["person.created"])

    async def long_admin(db: Database) -> str:
        admin, _ = await admin_team.invite_admin(
            db,
            subdomain,
            "a" * 180 + "@example.com",
            [admins.MANAGE_INTEGRATIONS],
            name="N" * 200,
            actor=SYSTEM,
        )
        return admin.id

    admin_id = company.call(long_admin)
    me = make_admin(server, subdomain)
    client = ConsoleClient(server.url)
    assert client.login(subdomain, me, PASSWORD).status_code == 303
    assert client.get("/admin").status_code == 200
    upload = client.http.post(
        "/admin/import",
        data={"csrf_token": client.csrf},
        files={
            "file": (
                "people.csv",
                f"email,givenName,title\nnew@acme.example,{LONG},{LONG}\n".encode(),
                "text/csv",
            )
        },
        headers=client._headers(),
    )
    assert upload.status_code == 303, upload.text

    def rows() -> list[str]:
        return client.get("/admin/log").text.split("<tr")[2:]

    def entry(row: str) -> str:
        found = re.search(r'href="/admin/log/([^"?/]+)"', row)
        assert found is not None, row
        return found.group(1)

    # The log is written in batches: every request is there once the group's is.
    logged = eventually(lambda: any(f"/admin/groups/{group.json()['id']}" in r for r in rows()))
    assert logged
    entry_409 = entry(next(r for r in rows() if ">409<" in r))
    entry_create = entry(next(r for r in rows() if f"/admin/people/{linus}" in r))
    client.close()
    ids = {
        "me": me,
        "person_id": linus,
        "deactivated": ada,
        "deleted": gone,
        "group_id": group.json()["id"],
        "import_id": upload.headers["location"].split("/")[-1],
        "token_id": company.token_id,
        "endpoint_id": endpoint,
        "admin_id": admin_id,
        "entry_409": entry_409,
        "entry_create": entry_create,
    }
    return company, ids


def _pages(ids: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Each console address, the pages (name, URL) that show it."""
    person, held = ids["person_id"], ids["deactivated"]
    return {
        "/admin": [("overview", "/admin")],
        "/admin/admins": [("admins", "/admin/admins")],
        "/admin/admins/{admin_id}": [("admin", f"/admin/admins/{ids['admin_id']}")],
        "/admin/admins/{admin_id}/remove": [
            ("admin-remove", f"/admin/admins/{ids['admin_id']}/remove")
        ],
        "/admin/attributes": [("attributes", "/admin/attributes")],
        "/admin/groups": [("groups", "/admin/groups")],
        "/admin/groups/{group_id}": [("group", f"/admin/groups/{ids['group_id']}")],
        "/admin/import": [("import", "/admin/import")],
        "/admin/import/{import_id}": [("import-preview", f"/admin/import/{ids['import_id']}")],
        "/admin/integrations": [("integrations", "/admin/integrations")],
        "/admin/integrations/scim": [("scim", "/admin/integrations/scim")],
        "/admin/integrations/scim/disable": [("scim-disable", "/admin/integrations/scim/disable")],
        "/admin/integrations/scim/tokens/{token_id}/revoke": [
            ("token-revoke", f"/admin/integrations/scim/tokens/{ids['token_id']}/revoke")
        ],
        "/admin/integrations/sso": [("sso", "/admin/integrations/sso")],
        "/admin/integrations/webhooks": [("webhooks", "/admin/integrations/webhooks")],
        "/admin/integrations/webhooks/{endpoint_id}": [
            ("webhook", f"/admin/integrations/webhooks/{ids['endpoint_id']}")
        ],
        "/admin/integrations/webhooks/{endpoint_id}/remove": [
            ("webhook-remove", f"/admin/integrations/webhooks/{ids['endpoint_id']}/remove")
        ],
        "/admin/log": [("log", "/admin/log")],
        "/admin/log/{entry_id}": [
            ("log-409", f"/admin/log/{ids['entry_409']}"),
            ("log-create", f"/admin/log/{ids['entry_create']}"),
        ],
        "/admin/people": [("people", "/admin/people"), ("people-search", "/admin/people?q=W")],
        "/admin/people/new": [("person-new", "/admin/people/new")],
        "/admin/people/{person_id}": [
            ("person", f"/admin/people/{person}"),
            ("person-deactivated", f"/admin/people/{held}"),
        ],
        "/admin/people/{person_id}/edit": [("person-edit", f"/admin/people/{person}/edit")],
        "/admin/people/{person_id}/deactivate": [
            ("person-deactivate", f"/admin/people/{person}/deactivate")
        ],
        "/admin/people/{person_id}/reactivate": [
            ("person-reactivate", f"/admin/people/{held}/reactivate")
        ],
        "/admin/people/{person_id}/free-email": [
            ("person-free-email", f"/admin/people/{held}/free-email")
        ],
        "/admin/people/{person_id}/delete": [("person-delete", f"/admin/people/{person}/delete")],
        "/admin/people/{person_id}/restore": [
            ("person-restore", f"/admin/people/{ids['deleted']}/restore")
        ],
        "/admin/troubleshooting": [("troubleshooting", "/admin/troubleshooting")],
    }


@pytest.fixture
def site(server: LiveServer) -> Iterator[tuple[Company, dict[str, str]]]:
    company, ids = _seed(server)
    yield company, ids
    company.client.close()


def test_every_console_page_fits_reads_and_focuses(
    server: LiveServer, chromium: Any, site: tuple[Company, dict[str, str]]
) -> None:
    company, ids = site
    ARTIFACTS.mkdir(exist_ok=True)
    pages = _pages(ids)
    served = {r.path for r in all_routes() if r.method == "GET" and r.path.startswith("/admin")}
    assert served - NOT_PAGES == set(pages), "a console page is not visited here"
    # axe is injected as an inline script, which the console's CSP forbids by design.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, bypass_csp=True
    )
    page = context.new_page()
    tour = Tour(page, server.backend)
    tour.visit("/admin/login", "login", menu=False)
    unusable = "/admin/set-password?token=" + secrets.token_urlsafe(8)
    tour.visit(unusable, "link-unusable", status=404, menu=False)
    sign_in(page, company.subdomain, ids["me"])
    for shown in pages.values():
        for name, url in shown:
            tour.visit(url, name)
    tour.visit("/admin/nowhere", "not-found", status=404, menu=False)
    context.close()

    # An admin with Manage Integrations alone, refused an Account Admin's page.
    them = make_admin(server, company.subdomain, roles=(admins.MANAGE_INTEGRATIONS,))
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, bypass_csp=True
    )
    tour.page = context.new_page()
    sign_in(tour.page, company.subdomain, them)
    tour.visit("/admin/people", "forbidden", status=403)
    context.close()
    assert len(tour.seen) == sum(len(v) for v in pages.values()) + 4
    assert tour.focus_checked > 300  # the Tab walk reached the pages' controls
    tour.done()


def test_the_menu_collapses_on_a_phone_and_opens_by_click_and_keyboard(
    server: LiveServer, chromium: Any
) -> None:
    """At 390 px the menu is one "Menu" button that a click, Enter or Space opens (also
    without JavaScript), its links reached by Tab with the current page marked; at 1280
    the links show, Tab goes straight from "Skip to content" to the first one."""
    from playwright.sync_api import expect

    company = make_company(server)
    email = make_admin(server, company.subdomain)
    ARTIFACTS.mkdir(exist_ok=True)
    links = [
        "Overview",
        "Manage People",
        "CSV import",
        "Groups",
        "Custom attributes",
        "Admins",
        "Integrations",
        "Provisioning log",
        "Troubleshooting",
    ]
    for javascript in (True, False):
        context = chromium.new_context(
            viewport={"width": 390, "height": 844},
            base_url=server.url,
            java_script_enabled=javascript,
        )
        page = context.new_page()
        sign_in(page, company.subdomain, email)
        page.goto("/admin/groups")
        toggle = page.get_by_text("Menu", exact=True)
        nav = page.get_by_role("navigation", name="Console")
        expect(toggle).to_be_visible()
        expect(nav).to_be_hidden()
        # The page's own heading is on the first screen, not below a list of links.
        heading = page.get_by_role("heading", name="Groups", level=1)
        box = heading.bounding_box()
        assert box is not None and box["y"] + box["height"] < 300, box
        toggle.click()
        expect(nav).to_be_visible()
        for name in links:
            expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
        expect(nav.locator("a[aria-current='page']")).to_have_text("Groups")
        page.screenshot(path=str(ARTIFACTS / f"{server.backend}-menu-open-390-js{javascript}.png"))
        toggle.click()
        expect(nav).to_be_hidden()
        context.close()

    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=server.url)
    page = context.new_page()
    sign_in(page, company.subdomain, email)
    page.goto("/admin/log")
    nav = page.get_by_role("navigation", name="Console")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    toggle = page.locator("summary", has_text="Menu")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(nav).to_be_visible()
    for name in links:
        page.keyboard.press("Tab")
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign out")).to_be_focused()
    expect(nav.locator("a[aria-current='page']")).to_have_text("Provisioning log")
    page.keyboard.press("Shift+Tab")
    for _ in links:
        page.keyboard.press("Shift+Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(nav).to_be_hidden()
    page.keyboard.press("Space")
    expect(nav).to_be_visible()
    page.keyboard.press("Space")
    expect(nav).to_be_hidden()

    # Wide: the links themselves, no "Menu".
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(nav).to_be_visible()
    expect(toggle).to_be_hidden()
    page.reload()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Overview", exact=True)).to_be_focused()
    context.close()
    company.client.close()
