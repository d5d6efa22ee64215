"""SSO in a real browser: Playwright driving Debian's Chromium through an SP-initiated
sign-in — Roster's login URL, a test IdP's sign-in page (a real HTTP server on another
site, signing with signxml), the IdP's auto-submitted POST back to the ACS, and the
signed-in page. The POST is cross-site (IdP on 127.0.0.1, Roster on localhost), so it
only works because the request-id cookie is SameSite=None; Secure.

Screenshots go to tests/artifacts/ (gitignored). Chromium comes from Debian
(`apt-get install chromium`; .ci/run installs it)."""

from __future__ import annotations

import base64
import secrets
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from tests.support.browser import ARTIFACTS
from tests.support.harness import Company
from tests.support.sso_flow import SsoCompany, enable_sso
from tests.support.sso_idp import SAML, TestIdp, encode


class IdpPages(BaseHTTPRequestHandler):
    """The IdP's two pages: "who are you?" and the auto-posting form back to the SP."""

    idp: TestIdp

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _html(self, body: str) -> None:
        data = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Test IdP</title></head><body>{body}</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        request = query.get("SAMLRequest", [""])[0]
        relay = query.get("RelayState", [""])[0]
        self._html(
            "<h1>Test IdP</h1>"
            '<form method="post" action="/sso/saml/authenticate">'
            '<label>Email <input name="email" type="email"></label>'
            '<label><input type="checkbox" name="expired"> Send an expired assertion</label>'
            f'<input type="hidden" name="SAMLRequest" value="{escape(request)}">'
            f'<input type="hidden" name="RelayState" value="{escape(relay)}">'
            '<button type="submit">Sign in</button></form>'
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        raw = zlib.decompress(base64.b64decode(form["SAMLRequest"]), -15)
        request = etree.fromstring(raw)
        acs = request.get("AssertionConsumerServiceURL")
        options: dict[str, Any] = {}
        if form.get("expired"):
            past = datetime.now(UTC) - timedelta(hours=1)
            options = {"not_before": past - timedelta(minutes=5), "not_on_or_after": past}
        response = self.idp.response(
            acs_url=acs,
            audience=request.findtext(f"{{{SAML}}}Issuer"),
            nameid=form["email"],
            in_response_to=request.get("ID"),
            **options,
        )
        # Okta's page: a form the browser submits by itself, with a button as fallback.
        self._html(
            f'<form method="post" action="{escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{encode(response)}">'
            f'<input type="hidden" name="RelayState" value="{escape(form.get("RelayState", ""))}">'
            '<button type="submit">Continue</button></form>'
            "<script>document.forms[0].submit()</script>"
        )


@pytest.fixture
def idp() -> Iterator[TestIdp]:
    handler = type("Pages", (IdpPages,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = httpd.server_address[1]
    test_idp = TestIdp(sso_url=f"http://127.0.0.1:{port}/sso/saml")
    handler.idp = test_idp
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield test_idp
    httpd.shutdown()
    httpd.server_close()


def test_sp_initiated_sign_in_in_a_real_browser(
    company: Company, idp: TestIdp, chromium: Any
) -> None:
    from playwright.sync_api import expect

    roster = f"http://localhost:{company.server.port}"
    co: SsoCompany = enable_sso(company, idp=idp, base_url=roster)
    co.add_person("alice@example.com")
    ARTIFACTS.mkdir(exist_ok=True)
    tag = f"{company.server.backend}-{secrets.token_hex(2)}"
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    try:
        page.goto(f"{roster}/saml2/{co.subdomain}/login?next=/me")
        expect(page.get_by_role("heading", name="Test IdP")).to_be_visible()
        assert page.url.startswith(idp.sso_url + "?SAMLRequest=")
        request_cookie = [c for c in context.cookies() if c["name"] == "roster_saml_request"]
        assert request_cookie and request_cookie[0]["sameSite"] == "None"
        assert request_cookie[0]["secure"] and request_cookie[0]["httpOnly"]
        page.screenshot(path=str(ARTIFACTS / f"sso-{tag}-1-idp.png"))

        page.get_by_label("Email").fill("alice@example.com")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{roster}/me")
        expect(page.get_by_text("Signed in as alice@example.com")).to_be_visible()
        expect(page.get_by_role("heading", name="Roster")).to_be_visible()
        names = {c["name"] for c in context.cookies()}
        assert "roster_session" in names and "roster_saml_request" not in names
        page.screenshot(path=str(ARTIFACTS / f"sso-{tag}-2-signed-in.png"))

        # An attack through the same pages ends on the generic refusal page.
        page.goto(f"{roster}/saml2/{co.subdomain}/login")
        page.get_by_label("Email").fill("alice@example.com")
        page.get_by_label("Send an expired assertion").check()
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Sign-in failed")).to_be_visible()
        assert "expired" not in page.content()
        page.screenshot(path=str(ARTIFACTS / f"sso-{tag}-3-refused.png"))

        page.goto(f"{roster}/me")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You are not signed in")).to_be_visible()
    finally:
        context.close()
