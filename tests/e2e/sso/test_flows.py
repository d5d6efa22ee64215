"""SAML single sign-on: the sign-in flows that must work (SP- and IdP-initiated, Okta's
signing defaults, NameID kinds, RelayState, sessions and signing out, a console admin
signing in), on SQLite and PostgreSQL, with responses signed by the test IdP
(tests/support/sso_idp.py). JIT and passwords while SSO is on are in
test_jit_and_passwords.py; metadata, IdP configuration and rollover in
test_idp_metadata.py."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from lxml import etree

from roster.directory import sessions
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tables import console_users
from roster.store.types import utcnow
from tests.support.harness import Company
from tests.support.sso_flow import (
    Browser,
    Outcomes,
    SsoCompany,
    assert_refused,
    assert_signed_in,
    enable_sso,
)
from tests.support.sso_idp import NS

ALICE = "alice@example.com"


@pytest.fixture
def co(company: Company) -> SsoCompany:
    sso_company = enable_sso(company)
    sso_company.add_person(ALICE)
    return sso_company


@pytest.fixture
def browser(company: Company) -> Iterator[Browser]:
    b = Browser(company.server)
    yield b
    b.close()


# --- Sign-in flows ---------------------------------------------------------------------


def test_sp_initiated_sign_in_lands_on_me(co: SsoCompany, browser: Browser) -> None:
    outcomes = Outcomes(co.company.server)
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response(ALICE, in_response_to=request.id), request.relay_state)
    assert r.headers["location"] == "/me"
    assert_signed_in(browser, r, ALICE)
    assert outcomes.delta() == {("signed_in", "sp"): 1.0}


def test_only_the_assertion_signed_is_accepted(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(ALICE, in_response_to=request.id, sign_response=False)
    assert response.find("ds:Signature", NS) is None
    assert_signed_in(browser, browser.post_acs(co, response), ALICE)


def test_authn_request_and_request_cookie(co: SsoCompany, browser: Browser) -> None:
    r = browser.request("GET", f"/saml2/{co.subdomain}/login", params={"next": "/me?tab=1"})
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["location"]).query)
    document = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15))
    assert document.tag == "{urn:oasis:names:tc:SAML:2.0:protocol}AuthnRequest"
    assert document.get("Destination") == co.idp.sso_url
    assert document.get("AssertionConsumerServiceURL") == co.acs
    assert document.get("ProtocolBinding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert document.findtext("saml2:Issuer", namespaces=NS) == co.entity_id
    assert document.find("saml2p:NameIDPolicy", NS) is None  # the IdP app's format rules
    assert query["RelayState"] == ["/me?tab=1"]
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("roster_saml"))
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=none", f"path=/saml2/{co.subdomain}"} <= attributes
    assert "max-age=600" in attributes


def test_relay_state_only_leads_inside_roster(co: SsoCompany) -> None:
    for relay, expected in [
        ("/me?tab=2", "/me?tab=2"),
        ("https://evil.example/", "/me"),
        ("//evil.example/x", "/me"),
        ("/\\evil.example", "/me"),
        ("", "/me"),
    ]:
        b = Browser(co.company.server)
        try:
            request = b.start_login(co)
            r = b.post_acs(co, co.response(ALICE, in_response_to=request.id), relay)
            assert r.status_code == 303 and r.headers["location"] == expected, relay
        finally:
            b.close()


def test_idp_initiated_sign_in_when_allowed(co: SsoCompany, browser: Browser) -> None:
    co.toggles(allow_idp_initiated=True)
    outcomes = Outcomes(co.company.server)
    r = browser.post_acs(co, co.response(ALICE), relay_state="")
    assert_signed_in(browser, r, ALICE)
    assert outcomes.delta() == {("signed_in", "idp"): 1.0}


def test_two_tabs_two_outstanding_requests(co: SsoCompany, browser: Browser) -> None:
    first = browser.start_login(co)
    second = browser.start_login(co)
    assert first.id != second.id
    r = browser.post_acs(co, co.response(ALICE, in_response_to=first.id))
    assert_signed_in(browser, r, ALICE)


def test_email_nameid_is_matched_without_case_and_space(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response("  Alice@EXAMPLE.com ", in_response_to=request.id))
    assert_signed_in(browser, r, ALICE)


def test_nameid_is_the_employee_number_when_set(co: SsoCompany, browser: Browser) -> None:
    co.add_person("frank@example.com", employee_number="E-1001")
    co.toggles(nameid="employee_number")
    request = browser.start_login(co)
    response = co.response(
        "E-1001",
        in_response_to=request.id,
        nameid_format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    )
    assert_signed_in(browser, browser.post_acs(co, response), "frank@example.com")
    # An email NameID means nothing then.
    b = Browser(co.company.server)
    try:
        request = b.start_login(co)
        outcomes = Outcomes(co.company.server)
        r = b.post_acs(co, co.response("frank@example.com", in_response_to=request.id))
        assert_refused(r, outcomes, "unknown_person")
    finally:
        b.close()


def test_session_is_new_at_every_sign_in_and_a_planted_one_dies(
    co: SsoCompany, browser: Browser
) -> None:
    """Fixation: whatever session cookie the browser had before signing in (planted by
    an attacker, or its own) is ended, and a fresh one is issued."""
    bob = co.add_person("bob@example.com")
    planted, _ = co.company.call(
        lambda db: sessions.start_session(db, co.company.tenant.id, "person", bob)
    )
    browser.cookies["roster_session"] = planted
    assert "bob@example.com" in browser.me().text
    request = browser.start_login(co)
    assert_signed_in(
        browser, browser.post_acs(co, co.response(ALICE, in_response_to=request.id)), ALICE
    )
    issued = browser.cookies["roster_session"]
    assert issued != planted
    assert co.company.call(lambda db: sessions.load_session(db, planted)) is None
    # Signing in again gives yet another session.
    request = browser.start_login(co)
    browser.post_acs(co, co.response(ALICE, in_response_to=request.id))
    assert browser.cookies["roster_session"] not in (issued, planted)


def test_session_cookie_attributes(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response(ALICE, in_response_to=request.id))
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("roster_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    cleared = next(h for h in r.headers.get_list("set-cookie") if h.startswith("roster_saml"))
    assert "Max-Age=0" in cleared  # the request id is spent


def test_a_person_deactivated_after_sign_in_is_signed_out(co: SsoCompany, browser: Browser) -> None:
    person = co.add_person("gina@example.com")
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response("gina@example.com", in_response_to=request.id))
    assert_signed_in(browser, r, "gina@example.com")
    co.company.client.patch(
        f"/Users/{person}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
    )
    assert browser.me().status_code == 401


def test_sign_out_needs_the_csrf_token(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    assert_signed_in(
        browser, browser.post_acs(co, co.response(ALICE, in_response_to=request.id)), ALICE
    )
    cookie = browser.cookies["roster_session"]
    forged = browser.request("POST", "/me/sign-out", data={"csrf_token": "nope"})
    assert forged.status_code == 303 and browser.me().status_code == 200
    token = co.company.call(lambda db: sessions.load_session(db, cookie))
    assert token is not None
    r = browser.request("POST", "/me/sign-out", data={"csrf_token": token.csrf_token})
    assert r.status_code == 303
    assert browser.me().status_code == 401
    assert co.company.call(lambda db: sessions.load_session(db, cookie)) is None


def test_me_without_a_session(browser: Browser) -> None:
    r = browser.me()
    assert r.status_code == 401
    assert "not signed in" in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in r.text


def test_console_admin_signs_in_as_console_user_with_a_link_to_the_console(
    co: SsoCompany, browser: Browser
) -> None:
    co.add_person("admin@example.com")
    admin_id = new_id()

    async def add_admin(db: Database) -> None:
        async with db.write() as conn:
            await conn.execute(
                console_users.insert().values(
                    tenant_id=co.company.tenant.id,
                    id=admin_id,
                    email="Admin@Example.com",
                    email_lower="admin@example.com",
                    roles=["account_admin"],
                    break_glass=False,
                    created_at=utcnow(),
                )
            )

    co.company.call(add_admin)
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response("admin@example.com", in_response_to=request.id))
    assert r.status_code == 303
    me = browser.me()
    assert "Signed in as <strong>Admin@Example.com</strong>" in me.text
    assert '<a href="/admin">' in me.text
    session = co.company.call(
        lambda db: sessions.load_session(db, browser.cookies["roster_session"])
    )
    assert session is not None
    assert (session.subject_type, session.subject_id) == ("console_user", admin_id)

    async def last_login(db: Database) -> object:
        async with db.read() as conn:
            return (
                await conn.execute(
                    sa.select(console_users.c.last_login_at).where(
                        console_users.c.tenant_id == co.company.tenant.id,
                        console_users.c.id == admin_id,
                    )
                )
            ).scalar_one()

    assert co.company.call(last_login) is not None
    # ...which the admin console accepts: no password needed.
    console = browser.request("GET", "/admin")
    assert console.status_code == 200, console.headers.get("location")
    # A plain person gets no console link.
    b = Browser(co.company.server)
    try:
        request = b.start_login(co)
        b.post_acs(co, co.response(ALICE, in_response_to=request.id))
        assert '<a href="/admin">' not in b.me().text
    finally:
        b.close()


def test_login_when_sso_is_off_or_the_company_unknown(company: Company, browser: Browser) -> None:
    r = browser.request("GET", f"/saml2/{company.subdomain}/login")
    assert r.status_code == 404 and "not set up" in r.text
    r = browser.request("GET", "/saml2/no-such-company/login")
    assert r.status_code == 404
