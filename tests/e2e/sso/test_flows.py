"""SAML single sign-on: the flows that must work (SP- and IdP-initiated, Okta's
signing defaults, NameID kinds, JIT, rollover, metadata, sessions), on SQLite and
PostgreSQL, with responses signed by the test IdP (tests/support/sso_idp.py)."""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from lxml import etree

from roster.directory import sessions, sso, tenants
from roster.model.errors import DirectoryError
from roster.store import people as people_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tables import audit_events, console_users, people
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
from tests.support.sso_idp import MD, NS, TestIdp, make_keypair

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


# --- JIT -------------------------------------------------------------------------------


def test_jit_creates_an_unknown_person_when_allowed_and_scim_is_off(
    company: Company, browser: Browser
) -> None:
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    co = enable_sso(company, allow_jit=True)
    request = browser.start_login(co)
    response = co.response(
        "New.Hire@example.com",
        in_response_to=request.id,
        attributes={"firstName": ["New"], "lastName": ["Hire"], "groups": ["Everyone"]},
    )
    assert_signed_in(browser, browser.post_acs(co, response), "New.Hire@example.com")

    async def created(db: Database) -> tuple[Any, list[tuple[str, str]]]:
        async with db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(people).where(
                        people.c.tenant_id == company.tenant.id,
                        people.c.email_lower == "new.hire@example.com",
                    )
                )
            ).one()
            actions = (
                await conn.execute(
                    sa.select(audit_events.c.action, audit_events.c.actor).where(
                        audit_events.c.tenant_id == company.tenant.id,
                        audit_events.c.resource_id == row.id,
                    )
                )
            ).all()
        return row, [(a.action, a.actor) for a in actions]

    row, actions = company.call(created)
    assert (row.given_name, row.family_name, row.source) == ("New", "Hire", "sso")
    assert ("person.create", "sso") in actions
    # The second sign-in finds the person; nobody is created twice.
    b = Browser(co.company.server)
    try:
        request = b.start_login(co)
        r = b.post_acs(co, co.response("new.hire@example.com", in_response_to=request.id))
        assert_signed_in(b, r, "New.Hire@example.com")
    finally:
        b.close()


def test_jit_cannot_be_turned_on_while_scim_is_on(co: SsoCompany) -> None:
    with pytest.raises(DirectoryError) as refused:
        co.toggles(allow_jit=True)
    assert "duplicates" in refused.value.message
    assert co.settings().allow_jit is False


def test_jit_is_not_applied_once_scim_is_turned_on(company: Company, browser: Browser) -> None:
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    co = enable_sso(company, allow_jit=True)
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, True))
    request = browser.start_login(co)
    outcomes = Outcomes(company.server)
    r = browser.post_acs(co, co.response("someone@example.com", in_response_to=request.id))
    assert_refused(r, outcomes, "unknown_person")


def test_jit_never_revives_a_deactivated_person(company: Company, browser: Browser) -> None:
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    co = enable_sso(company, allow_jit=True)
    request = browser.start_login(co)
    browser.post_acs(co, co.response("hank@example.com", in_response_to=request.id))

    async def deactivate(db: Database) -> None:
        async with db.write() as conn:
            await conn.execute(
                people.update()
                .where(
                    people.c.tenant_id == company.tenant.id,
                    people.c.email_lower == "hank@example.com",
                )
                .values(active=False)
            )

    company.call(deactivate)
    b = Browser(company.server)
    try:
        request = b.start_login(co)
        outcomes = Outcomes(company.server)
        r = b.post_acs(co, co.response("hank@example.com", in_response_to=request.id))
        assert_refused(r, outcomes, "inactive_person")
    finally:
        b.close()


# --- Metadata, IdP configuration, rollover ------------------------------------------


def test_sp_metadata(co: SsoCompany, browser: Browser) -> None:
    r = browser.request("GET", f"/saml2/{co.subdomain}/metadata")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/samlmetadata+xml")
    document = etree.fromstring(r.content)
    assert document.get("entityID") == co.entity_id == f"{co.root}/metadata"
    acs = document.find(f"{{{MD}}}SPSSODescriptor/{{{MD}}}AssertionConsumerService")
    assert acs is not None
    assert acs.get("Location") == co.acs
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    descriptor = document.find(f"{{{MD}}}SPSSODescriptor")
    assert descriptor is not None and descriptor.get("WantAssertionsSigned") == "true"
    assert document.findtext(f".//{{{MD}}}NameIDFormat") == (
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    )


def test_sp_metadata_is_served_before_the_idp_is_configured(
    company: Company, browser: Browser
) -> None:
    r = browser.request("GET", f"/saml2/{company.subdomain}/metadata")
    assert r.status_code == 200
    assert (
        etree.fromstring(r.content).get("entityID").endswith(f"/saml2/{company.subdomain}/metadata")
    )


def test_sp_metadata_does_not_tell_which_companies_exist(
    company: Company, browser: Browser
) -> None:
    """A company without SSO and one that does not exist get the same answer, so the
    metadata URL cannot be used to list a deployment's companies."""
    unknown = f"nobody-{company.subdomain}"
    known = browser.request("GET", f"/saml2/{company.subdomain}/metadata")
    missing = browser.request("GET", f"/saml2/{unknown}/metadata")
    assert known.status_code == missing.status_code == 200

    # validUntil is "now + 2 days" to the second, so the two answers may straddle a second.
    def comparable(content: bytes) -> bytes:
        return re.sub(rb'validUntil="[^"]*"', b'validUntil=""', content)

    assert comparable(missing.content.replace(unknown.encode(), company.subdomain.encode())) == (
        comparable(known.content)
    )
    for header in ("content-type", "content-disposition", "cache-control"):
        assert missing.headers.get(header, "").replace(unknown, company.subdomain) == (
            known.headers.get(header, "")
        )
    # A name no company can have is told apart by its form alone, which is public.
    assert browser.request("GET", "/saml2/%25/metadata").status_code == 404
    assert browser.request("GET", "/saml2/-x-/metadata").status_code == 404
    # Once SSO is configured, the company's own settings shape its metadata.
    enable_sso(company, nameid="employee_number")
    configured = browser.request("GET", f"/saml2/{company.subdomain}/metadata")
    assert configured.status_code == 200
    assert etree.fromstring(configured.content).findtext(f".//{{{MD}}}NameIDFormat") == (
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    )


def test_idp_metadata_is_stored(co: SsoCompany) -> None:
    settings = co.settings()
    assert settings.enabled and settings.configured
    assert settings.idp_entity_id == co.idp.entity_id
    assert settings.idp_sso_url == co.idp.sso_url
    assert [sso.certificate_info(c).fingerprint for c in settings.idp_certificates] == [
        co.idp.keys.fingerprint
    ]


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("", "empty"),
        ("<not-xml", "not valid XML"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', "not valid XML"),
        (f'<md:EntityDescriptor xmlns:md="{MD}" entityID="x"/>', "IDPSSODescriptor"),
    ],
)
def test_bad_idp_metadata_is_refused_with_the_reason(
    company: Company, metadata: str, message: str
) -> None:
    with pytest.raises(DirectoryError) as refused:
        company.call(lambda db: sso.configure_idp(db, company.tenant, metadata))
    assert message in refused.value.message


def test_idp_metadata_without_redirect_binding_or_certificate(company: Company) -> None:
    idp = TestIdp()
    no_redirect = idp.metadata().replace(
        'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"',
        'Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP"',
    )
    with pytest.raises(DirectoryError) as refused:
        company.call(lambda db: sso.configure_idp(db, company.tenant, no_redirect))
    assert "HTTP-Redirect" in refused.value.message
    document = etree.fromstring(idp.metadata().encode())
    for key in document.findall(f".//{{{MD}}}KeyDescriptor"):
        key.getparent().remove(key)
    with pytest.raises(DirectoryError) as refused:
        company.call(lambda db: sso.configure_idp(db, company.tenant, etree.tostring(document)))
    assert "no signing certificate" in refused.value.message
    garbage = idp.metadata().replace(idp.keys.cert_b64, "bm90IGEgY2VydGlmaWNhdGU=")
    with pytest.raises(DirectoryError) as refused:
        company.call(lambda db: sso.configure_idp(db, company.tenant, garbage))
    assert "not an X.509 certificate" in refused.value.message


def test_sso_cannot_be_enabled_before_the_idp_is_configured(company: Company) -> None:
    with pytest.raises(DirectoryError) as refused:
        company.call(lambda db: sso.update_toggles(db, company.tenant, enabled=True))
    assert "metadata" in refused.value.message


def test_certificate_rollover(co: SsoCompany, browser: Browser) -> None:
    """Okta's new certificate is trusted beside the old one; responses signed with
    either sign in; once the old one is removed, only the new one does."""
    new = make_keypair("okta-2027")

    def signs_in(keys: object) -> bool:
        b = Browser(co.company.server)
        try:
            request = b.start_login(co)
            r = b.post_acs(co, co.response(ALICE, in_response_to=request.id, signer=keys))
            return r.status_code == 303
        finally:
            b.close()

    assert not signs_in(new)
    tenant = co.company.tenant
    co.company.call(lambda db: sso.add_certificate(db, tenant, new.cert_pem))
    assert signs_in(co.idp.keys) and signs_in(new)
    old = co.idp.keys.fingerprint
    co.company.call(lambda db: sso.remove_certificate(db, tenant, old.replace(":", "").lower()))
    assert signs_in(new) and not signs_in(co.idp.keys)
    with pytest.raises(DirectoryError) as refused:
        co.company.call(lambda db: sso.remove_certificate(db, tenant, new.fingerprint))
    assert "last IdP certificate" in refused.value.message


def test_metadata_with_two_certificates_and_keeping_certificates(
    company: Company, browser: Browser
) -> None:
    idp = TestIdp()
    second = make_keypair("second")
    co = enable_sso(company, idp=idp)
    co.add_person(ALICE)
    both = idp.metadata(certificates=[idp.keys, second])
    company.call(lambda db: sso.configure_idp(db, company.tenant, both))
    assert len(co.settings().idp_certificates) == 2
    # Re-importing metadata that lists only a third certificate replaces them...
    third = make_keypair("third")
    only_third = idp.metadata(certificates=[third])
    company.call(
        lambda db: sso.configure_idp(db, company.tenant, only_third, keep_certificates=True)
    )
    assert len(co.settings().idp_certificates) == 3
    company.call(lambda db: sso.configure_idp(db, company.tenant, only_third))
    fingerprints = [sso.certificate_info(c).fingerprint for c in co.settings().idp_certificates]
    assert fingerprints == [third.fingerprint]
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response(ALICE, in_response_to=request.id, signer=third))
    assert_signed_in(browser, r, ALICE)


# --- Passwords while SSO is on ---------------------------------------------------------


def _password_hash(company: Company, person_id: str) -> str | None:
    async def read(db: Database) -> str | None:
        async with db.read() as conn:
            return await people_store.password_hash(conn, company.tenant.id, person_id)

    return company.call(read)


def _post_user_with_password(company: Company, email: str) -> str:
    r = company.client.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email,
            "emails": [{"value": email, "primary": True}],
            "password": "Okta-synced-Pa55!",
        },
    )
    assert r.status_code == 201, r.text
    assert "password" not in r.json()
    return str(r.json()["id"])


def test_scim_password_is_discarded_while_sso_is_on(company: Company) -> None:
    before = _post_user_with_password(company, "before.sso@example.com")
    assert _password_hash(company, before) is not None  # SSO off: Sync Password works
    enable_sso(company)
    during = _post_user_with_password(company, "during.sso@example.com")
    assert _password_hash(company, during) is None


def test_password_sign_in_refusal_rule(co: SsoCompany) -> None:
    tenant = co.company.refresh()

    def refusal(break_glass: bool) -> str | None:
        return co.company.call(
            lambda db: sso.password_login_refusal(db, tenant, break_glass=break_glass)
        )

    # SSO on, passwords still allowed (the testing phase): nobody is refused.
    assert refusal(False) is None and refusal(True) is None
    co.toggles(allow_password_signin=False)
    reason = refusal(False)
    assert reason is not None and "single sign-on" in reason
    assert refusal(True) is None  # break-glass admin
    co.toggles(enabled=False)
    assert refusal(False) is None  # SSO off: passwords are the way in again


def test_break_glass_flag_is_set_on_a_console_admin(co: SsoCompany) -> None:
    tenant = co.company.tenant

    async def add_admin(db: Database) -> None:
        async with db.write() as conn:
            await conn.execute(
                console_users.insert().values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    email="ops@example.com",
                    email_lower="ops@example.com",
                    roles=["account_admin"],
                    break_glass=False,
                    created_at=utcnow(),
                )
            )

    async def flag(db: Database) -> bool:
        async with db.read() as conn:
            return bool(
                (
                    await conn.execute(
                        sa.select(console_users.c.break_glass).where(
                            console_users.c.tenant_id == tenant.id,
                            console_users.c.email_lower == "ops@example.com",
                        )
                    )
                ).scalar_one()
            )

    co.company.call(add_admin)
    co.company.call(lambda db: sso.set_break_glass(db, tenant, "OPS@example.com", True))
    assert co.company.call(flag) is True
    co.company.call(lambda db: sso.set_break_glass(db, tenant, "ops@example.com", False))
    assert co.company.call(flag) is False
    with pytest.raises(DirectoryError):
        co.company.call(lambda db: sso.set_break_glass(db, tenant, "nobody@example.com", True))
