"""SAML single sign-on: Roster's SP metadata (what it says, and that it tells nobody
which companies exist), the IdP metadata an admin imports (stored, or refused with the
reason), and certificate rollover, on SQLite and PostgreSQL, with responses signed by
the test IdP (tests/support/sso_idp.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from lxml import etree

from roster.directory import sso
from roster.model.errors import DirectoryError
from tests.support.harness import Company
from tests.support.sso_flow import (
    Browser,
    SsoCompany,
    assert_signed_in,
    enable_sso,
)
from tests.support.sso_idp import MD, TestIdp, make_keypair

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
