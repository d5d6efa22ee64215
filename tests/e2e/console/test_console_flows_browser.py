"""SCIM setup, tokens and the console's refusals in a real browser: Playwright driving
Debian's Chromium against the live server, on SQLite and PostgreSQL. An admin enables
SCIM from the Integrations page, reads the setup steps in Okta's order, generates a
token (shown once: a reload shows it no more and mints nothing), is refused a label in
use beside the field, revokes and disables behind confirmations; refused forms keep
what was typed; a page the admin may not open names who can grant it; 404, 405 and 413
under /admin are pages. Every page is screenshotted at 1280 and 390 px into
tests/artifacts/ (gitignored), must not scroll sideways at either width, and passes
axe-core's WCAG 2 A/AA rules (serious and critical)."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path
from typing import Any

from roster.directory import admins, tenants, tokens
from tests.support.browser import ARTIFACTS, sign_in
from tests.support.console import make_admin
from tests.support.harness import LiveServer

AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
WIDTHS = (1280, 390)


class Screens:
    """Screenshots at each width, the sideways-scroll check, and axe, for one page."""

    def __init__(self, page: Any, backend: str, prefix: str) -> None:
        self.page = page
        self.backend = backend
        self.prefix = prefix
        self.taken: list[str] = []
        self.problems: list[str] = []
        self.axe = AXE.read_text()

    def shot(self, name: str) -> None:
        page = self.page
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            path = (
                ARTIFACTS
                / f"{self.backend}-{self.prefix}-{len(self.taken) + 1:02d}-{name}-{width}.png"
            )
            page.screenshot(path=str(path), full_page=True)
            sideways = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if sideways > 0:
                wide = page.evaluate(
                    "[...document.querySelectorAll('body *')].filter(e => "
                    "e.getBoundingClientRect().right > innerWidth + 1 && "
                    "![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))"
                    ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + "
                    "(e.textContent || '').trim().slice(0, 40))"
                )
                self.problems.append(
                    f"{name} at {width}px scrolls sideways by {sideways}px: {wide}"
                )
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        self.taken.append(name)
        self.check_axe(name)

    def check_axe(self, name: str) -> None:
        # Injected as a script tag: the context bypasses the console's CSP for it.
        self.page.add_script_tag(content=self.axe)
        found = self.page.evaluate(
            "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.help + ' @ '"
            " + v.nodes.map(n => n.target.join(' ')).join(', '))"
        )
        self.problems += [f"{name}: {v}" for v in found]


def test_scim_setup_tokens_and_disabling_in_a_browser(server: LiveServer, chromium: Any) -> None:
    from playwright.sync_api import expect

    subdomain = f"flow-{secrets.token_hex(3)}"
    server.call(lambda db: tenants.create_tenant(db, subdomain, "Flow Inc"))
    email = make_admin(server, subdomain, email=f"jordan@{subdomain}.example")
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, bypass_csp=True
    )
    page = context.new_page()
    screens = Screens(page, server.backend, "scim")
    sign_in(page, subdomain, email)
    # Not connected yet: the Overview is a checklist, with single sign-on's state.
    expect(page.get_by_role("heading", name="Set up provisioning")).to_be_visible()
    expect(page.get_by_role("link", name="enable it on the SCIM 2.0 page")).to_be_visible()
    expect(page.get_by_text("All clear")).to_have_count(0)
    screens.shot("overview-setup")

    # Integrations: one button enables SCIM.
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Integrations").click()
    screens.shot("integrations-off")
    page.get_by_role("button", name="Enable SCIM").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"SCIM is enabled\."))
    expect(page.get_by_role("heading", name="Connect your identity provider")).to_be_visible()
    steps = page.locator("ol.setup-steps > li").all_inner_texts()
    order = [
        "SCIM connector base URL",
        "Unique identifier field for users",
        "Supported provisioning actions",
        "Authentication Mode",
        "Generate token",
    ]
    assert [next(i for i, s in enumerate(steps) if o in s) for o in order] == list(range(5))
    expect(page.get_by_label("SCIM connector base URL")).to_have_value(f"{server.url}/scim/v2")
    expect(page.get_by_label("Unique identifier field for users")).to_have_value("userName")
    screens.shot("scim-enabled")

    # Generate a token: shown once, after a redirect.
    page.get_by_label("Label").fill("Okta production")
    page.get_by_role("button", name="Generate token").click()
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("rstr_scim_")
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:8]
    box = page.get_by_role("region", name=re.compile("Your new token"))
    expect(box).to_contain_text(fingerprint)
    row = page.locator("tbody tr", has_text="Okta production")
    expect(row).to_contain_text(fingerprint)
    screens.shot("scim-new-token")
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_text("The token is not shown again.")).to_be_visible()
    assert "rstr_scim_" not in page.content()
    expect(page.locator("tbody tr", has_text="Okta production")).to_have_count(1)
    live = server.call(lambda db: tokens.list_tokens(db, subdomain))
    assert [t.label for t in live] == ["Okta production"]
    assert live[0].fingerprint == fingerprint
    screens.shot("scim-reloaded")

    # A label in use: refused beside the field, what was typed kept, nothing made.
    page.get_by_label("Label").fill("okta PRODUCTION")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Generate token").click()
    assert answer.value.status == 400
    expect(page.locator("#label-error")).to_contain_text("already labelled 'Okta production'")
    expect(page.get_by_label("Label")).to_have_value("okta PRODUCTION")
    expect(page.get_by_label("Label")).to_have_attribute("aria-invalid", "true")
    assert len(server.call(lambda db: tokens.list_tokens(db, subdomain))) == 1
    screens.shot("scim-label-taken")

    page.goto("/admin")
    expect(page.locator(".checklist li.done")).to_have_count(2)  # enabled, a token
    screens.shot("overview-half-done")

    # Revoke asks first, naming the token.
    page.goto("/admin/integrations/scim")
    page.get_by_role("link", name=f"Revoke token Okta production ({fingerprint})").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the token “Okta production”?")
    expect(page.get_by_text(fingerprint)).to_be_visible()
    screens.shot("scim-revoke-confirm")
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("status")).to_contain_text("Token revoked.")
    expect(page.locator("tbody tr", has_text="Okta production")).to_contain_text("Revoked")

    # Disable asks first, saying what stops.
    page.get_by_role("link", name="Disable SCIM").click()
    expect(page.get_by_role("heading", name="Disable SCIM?")).to_be_visible()
    expect(page.get_by_text(re.compile("refused with 401 Unauthorized"))).to_be_visible()
    screens.shot("scim-disable-confirm")
    page.get_by_role("button", name="Disable SCIM").click()
    expect(page.get_by_role("status")).to_contain_text("SCIM is disabled.")
    expect(page.get_by_role("button", name="Enable SCIM")).to_be_visible()
    screens.shot("scim-off")
    assert not server.call(lambda db: tenants.get_tenant(db, subdomain)).scim_enabled
    context.close()
    assert not screens.problems, "\n".join(screens.problems)


def test_refusals_keep_the_input_and_errors_are_pages_in_a_browser(
    server: LiveServer, chromium: Any
) -> None:
    from playwright.sync_api import expect

    subdomain = f"dead-{secrets.token_hex(3)}"
    server.call(lambda db: tenants.create_tenant(db, subdomain, "Dead Ends Inc"))
    email = make_admin(server, subdomain, email=f"ada@{subdomain}.example")
    make_admin(server, subdomain, email=f"grace@{subdomain}.example")
    viewer = make_admin(
        server, subdomain, email=f"viewer@{subdomain}.example", roles=(admins.ACCOUNT_ADMIN,)
    )
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, bypass_csp=True
    )
    page = context.new_page()
    screens = Screens(page, server.backend, "refusals")
    sign_in(page, subdomain, email)

    def refused(click: Any) -> None:
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            click()
        assert answer.value.status == 400, answer.value.url

    # An unknown group member.
    page.goto("/admin/groups")
    page.get_by_placeholder("Name").fill("Design guild")
    page.get_by_role("button", name="Create").click()
    page.get_by_placeholder("Email or employee number").fill("ghost@nowhere.example")
    refused(lambda: page.get_by_role("button", name="Add member").click())
    expect(page.get_by_role("heading", name="Design guild", level=1)).to_be_visible()
    expect(page.locator("#member-error")).to_contain_text("Nobody in this company matches")
    expect(page.get_by_placeholder("Email or employee number")).to_have_value(
        "ghost@nowhere.example"
    )
    screens.shot("group-unknown-member")

    # A custom attribute's bad name.
    page.goto("/admin/attributes")
    # The field's own pattern would stop the browser first; the server's rule is the one
    # that counts.
    page.evaluate("document.getElementById('name').removeAttribute('pattern')")
    page.get_by_label("Name").fill("customBad-Name")
    page.get_by_label("Type").select_option("date")
    refused(lambda: page.get_by_role("button", name="Define").click())
    expect(page.locator("#name-error")).to_contain_text("customBad-Name")
    expect(page.get_by_label("Name")).to_have_value("customBad-Name")
    expect(page.get_by_label("Type")).to_have_value("date")
    screens.shot("attribute-bad-name")

    # SSO metadata that is not metadata: the pasted text stays.
    page.goto("/admin/integrations/sso")
    page.get_by_label("…or paste the metadata XML").fill("<not metadata")
    refused(lambda: page.get_by_role("button", name="Save metadata").click())
    expect(page.get_by_label("…or paste the metadata XML")).to_have_value("<not metadata")
    expect(page.get_by_role("alert").first).to_contain_text("Not done.")
    screens.shot("sso-bad-metadata")

    # A log retention no list offers (sent as a browser would, edited).
    page.goto("/admin/log")
    page.evaluate("document.querySelector('#days option').value = '4O4'")
    page.locator("#days").select_option(index=0)
    refused(lambda: page.get_by_role("button", name="Save", exact=True).click())
    expect(page.locator("#days-error")).to_contain_text("retention")
    screens.shot("log-bad-retention")

    # 404 and 413 are pages; 405 too, with its status.
    with page.expect_response(lambda r: r.url.endswith("/admin/nowhere")) as missing:
        page.goto("/admin/nowhere")
    assert missing.value.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    screens.shot("not-found")
    put = page.request.fetch("/admin/people", method="PUT")
    assert put.status == 405 and put.headers["content-type"].startswith("text/html")
    options = page.request.fetch("/admin/people", method="OPTIONS")
    assert options.status == 405 and options.headers["content-type"].startswith("text/html")
    page.goto("/admin/groups")
    page.evaluate("document.getElementById('name').value = 'x'.repeat(1100000)")
    page.evaluate("document.getElementById('name').removeAttribute('maxlength')")
    with page.expect_response(lambda r: r.request.method == "POST") as big:
        page.get_by_role("button", name="Create").click()
    assert big.value.status == 413
    expect(page.get_by_role("heading", name="Too much data")).to_be_visible()
    expect(page.get_by_text(re.compile("larger than 1 MB"))).to_be_visible()
    screens.shot("too-large")
    context.close()

    # A page the viewer may not open names who can grant it, and leads nowhere closed.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.url, bypass_csp=True
    )
    page = context.new_page()
    screens.page = page
    sign_in(page, subdomain, viewer)
    with page.expect_response(lambda r: r.url.endswith("/admin/integrations/scim")) as closed:
        page.goto("/admin/integrations/scim")
    assert closed.value.status == 403
    expect(page.get_by_role("heading", name="Manage Integrations access needed")).to_be_visible()
    expect(page.get_by_text(re.compile("Ask an Account Admin of Dead Ends Inc:"))).to_contain_text(
        f"ada@{subdomain}.example"
    )
    menu = page.get_by_role("navigation", name="Console")
    expect(menu.get_by_role("link", name="Provisioning log")).to_have_count(0)
    expect(menu.get_by_role("link", name="Troubleshooting")).to_have_count(0)
    screens.shot("forbidden")
    context.close()
    assert not screens.problems, "\n".join(screens.problems)
