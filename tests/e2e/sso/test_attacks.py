"""Every attack of the issue (and shared/reference/saml-sso.md §3), each with a real
response signed by a test IdP (signxml), posted over HTTP to a live Roster. Each test
asserts the sign-in was refused with the generic page AND by which check (the
roster_sso_signins_total metric), so a broken test IdP cannot pass them by accident;
each refusal also writes a log line with the reason."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from roster.sso.cookies import REQUEST_COOKIE, RequestCookie
from roster.sso.keys import secret_key
from tests.support.harness import Company
from tests.support.sso_flow import (
    Browser,
    Outcomes,
    SsoCompany,
    assert_refused,
    assert_signed_in,
    enable_sso,
)
from tests.support.sso_idp import (
    DS,
    NS,
    SAML,
    SAMLP,
    TestIdp,
    encode,
    make_keypair,
    new_id,
    reparse,
)

ALICE = "alice@example.com"
BOB = "bob@example.com"


@pytest.fixture
def co(company: Company) -> SsoCompany:
    sso_company = enable_sso(company)
    sso_company.add_person(ALICE)
    sso_company.add_person(BOB)
    return sso_company


@pytest.fixture
def browser(company: Company) -> Iterator[Browser]:
    b = Browser(company.server)
    yield b
    b.close()


def refused(
    browser: Browser, co: SsoCompany, response: etree._Element | bytes, reason: str
) -> None:
    outcomes = Outcomes(co.company.server)
    r = browser.post_acs(co, response)
    assert_refused(r, outcomes, reason)
    assert browser.me().status_code == 401


def find(document: etree._Element, path: str) -> etree._Element:
    found = document.find(path, NS)
    assert found is not None, path
    return found


def test_the_valid_response_the_attacks_start_from_is_accepted(
    co: SsoCompany, browser: Browser
) -> None:
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response(ALICE, in_response_to=request.id))
    assert_signed_in(browser, r, ALICE)


# --- Tampering after signing -----------------------------------------------------------


def test_nameid_changed_after_signing(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    document = reparse(co.response(BOB, in_response_to=request.id))
    find(document, "saml2:Assertion/saml2:Subject/saml2:NameID").text = ALICE
    refused(browser, co, document, "signature")


def test_attribute_changed_after_signing(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    document = reparse(co.response(BOB, in_response_to=request.id, attributes={"email": [BOB]}))
    value = "saml2:Assertion/saml2:AttributeStatement/saml2:Attribute/saml2:AttributeValue"
    find(document, value).text = ALICE
    refused(browser, co, document, "signature")


def test_comment_injected_in_nameid_does_not_truncate_it(co: SsoCompany, browser: Browser) -> None:
    """The IdP signed `alice@example.com.evil.test` (an account the attacker holds);
    the attacker sends `alice@example.com<!---->.evil.test`. The signature still holds
    (c14n drops comments); Roster must read the whole text, not stop at the comment."""
    request = browser.start_login(co)
    document = reparse(co.response(ALICE + ".evil.test", in_response_to=request.id))
    nameid = find(document, "saml2:Assertion/saml2:Subject/saml2:NameID")
    nameid.text = ALICE
    comment = etree.Comment("")
    comment.tail = ".evil.test"
    nameid.append(comment)
    assert b"alice@example.com<!---->.evil.test" in etree.tostring(document)
    refused(browser, co, document, "unknown_person")


# --- Time, audience, recipient, destination, issuer -----------------------------------


def test_expired_assertion(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    past = datetime.now(UTC) - timedelta(minutes=55)
    response = co.response(
        ALICE,
        in_response_to=request.id,
        not_before=past - timedelta(minutes=5),
        not_on_or_after=past,
    )
    refused(browser, co, response, "expired")


def test_not_yet_valid_assertion(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    future = datetime.now(UTC) + timedelta(minutes=59)
    response = co.response(
        ALICE,
        in_response_to=request.id,
        not_before=future,
        not_on_or_after=future + timedelta(minutes=5),
    )
    refused(browser, co, response, "not_yet_valid")


def test_wrong_audience(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(
        ALICE, in_response_to=request.id, audience="https://other-sp.example/metadata"
    )
    refused(browser, co, response, "audience")


def test_wrong_recipient(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(ALICE, in_response_to=request.id, recipient="https://evil.example/acs")
    refused(browser, co, response, "subject_confirmation")


def test_recipient_containing_our_acs_is_not_ours(co: SsoCompany, browser: Browser) -> None:
    """python3-saml alone accepts this (a substring test, reference §3 case 11)."""
    request = browser.start_login(co)
    response = co.response(
        ALICE, in_response_to=request.id, recipient=f"https://evil.example/?x={co.acs}"
    )
    refused(browser, co, response, "recipient")


def test_recipient_extending_our_acs_is_not_ours(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(ALICE, in_response_to=request.id, recipient=co.acs + "/more")
    refused(browser, co, response, "recipient")


def test_wrong_destination(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(
        ALICE, in_response_to=request.id, destination="https://evil.example/saml2/acs"
    )
    refused(browser, co, response, "destination")


def test_destination_extending_our_acs_is_not_ours(co: SsoCompany, browser: Browser) -> None:
    """The library compares Destination by prefix; Roster wants it exact."""
    request = browser.start_login(co)
    response = co.response(ALICE, in_response_to=request.id, destination=co.acs + "x")
    refused(browser, co, response, "destination")


def test_wrong_issuer_with_the_right_key(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(
        ALICE, in_response_to=request.id, issuer="http://www.okta.com/exkSOMEONEELSE"
    )
    refused(browser, co, response, "issuer")


# --- Signatures ------------------------------------------------------------------------


def test_unsigned_response(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(
        ALICE, in_response_to=request.id, sign_assertion=False, sign_response=False
    )
    refused(browser, co, response, "unsigned")


def test_only_the_outer_response_signed(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(
        ALICE, in_response_to=request.id, sign_assertion=False, sign_response=True
    )
    refused(browser, co, response, "unsigned")


def test_attacker_key_with_its_own_certificate_in_keyinfo(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    attacker = make_keypair("attacker")
    response = co.response(ALICE, in_response_to=request.id, signer=attacker)
    certificate = find(response, "saml2:Assertion/ds:Signature/ds:KeyInfo//ds:X509Certificate")
    assert "".join((certificate.text or "").split()) == attacker.cert_b64
    refused(browser, co, response, "signature")


def test_rsa_sha1_signature(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(ALICE, in_response_to=request.id, sha1=True)
    method = find(response, "saml2:Assertion/ds:Signature/ds:SignedInfo/ds:SignatureMethod")
    assert method.get("Algorithm") == "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    refused(browser, co, response, "algorithm")


# --- InResponseTo and replay -----------------------------------------------------------


def test_in_response_to_a_request_never_issued(co: SsoCompany, browser: Browser) -> None:
    browser.start_login(co)
    refused(browser, co, co.response(ALICE, in_response_to=new_id()), "in_response_to")


def test_in_response_to_without_any_request_cookie(co: SsoCompany, browser: Browser) -> None:
    refused(browser, co, co.response(ALICE, in_response_to=new_id()), "in_response_to")


def test_response_for_another_browsers_request(co: SsoCompany, browser: Browser) -> None:
    """Login CSRF: the attacker's own valid response, for the attacker's request,
    pushed into the victim's browser."""
    attacker = Browser(co.company.server)
    try:
        attackers_request = attacker.start_login(co)
        browser.start_login(co)  # the victim has a sign-in of its own outstanding
        response = co.response(BOB, in_response_to=attackers_request.id)
        refused(browser, co, response, "in_response_to")
    finally:
        attacker.close()


def test_forged_request_cookie(co: SsoCompany, browser: Browser) -> None:
    browser.start_login(co)
    forged = RequestCookie("not-the-server-key-" * 3).add(None, co.company.tenant.id, "idabc")
    browser.cookies[REQUEST_COOKIE] = forged
    refused(browser, co, co.response(ALICE, in_response_to="idabc"), "in_response_to")


def test_request_cookie_of_another_company(
    co: SsoCompany, browser: Browser, other_company: Company
) -> None:
    """Same IdP app configured for two companies (an admin's mistake): a request
    started at company B cannot be answered at company A, even signed by A's IdP."""
    other = enable_sso(other_company, idp=co.idp)
    request_at_other = browser.start_login(other)
    # A browser scopes the cookie to /saml2/<B>; send it to A anyway, as a forger would.
    browser.paths[REQUEST_COOKIE] = "/"
    response = co.response(ALICE, in_response_to=request_at_other.id)
    refused(browser, co, response, "in_response_to")


def test_request_older_than_ten_minutes(co: SsoCompany, browser: Browser) -> None:
    key = secret_key(co.company.server.settings)
    cookie = RequestCookie(key)
    stale_id = new_id()
    # Written as the server would have ten minutes and a second ago.
    serializer = cookie._serializer
    issued = int(datetime.now(UTC).timestamp()) - 601
    browser.cookies[REQUEST_COOKIE] = serializer.dumps(
        {"t": co.company.tenant.id, "r": [[stale_id, issued]]}
    )
    refused(browser, co, co.response(ALICE, in_response_to=stale_id), "in_response_to")


def test_replay_of_an_sp_initiated_response(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    response = co.response(ALICE, in_response_to=request.id)
    assert_signed_in(browser, browser.post_acs(co, response), ALICE)
    # The same browser (its request cookie replayed too) posts it again.
    browser.cookies.pop("roster_session")
    replayed = Browser(co.company.server, cookies={REQUEST_COOKIE: _request_cookie(browser)})
    try:
        refused(replayed, co, response, "replay")
    finally:
        replayed.close()


def _request_cookie(browser: Browser) -> str:
    for header in browser.set_cookie_headers:
        if header.startswith(REQUEST_COOKIE + "=") and "Max-Age=0" not in header:
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError("no request cookie was set")


def test_replay_of_an_idp_initiated_response_from_a_second_browser(
    co: SsoCompany, browser: Browser
) -> None:
    co.toggles(allow_idp_initiated=True)
    response = co.response(ALICE)
    assert_signed_in(browser, browser.post_acs(co, response), ALICE)
    second = Browser(co.company.server)
    try:
        refused(second, co, response, "replay")
    finally:
        second.close()


def test_idp_initiated_refused_unless_allowed(co: SsoCompany, browser: Browser) -> None:
    refused(browser, co, co.response(ALICE), "unsolicited")


def test_stripping_in_response_to_from_the_outer_response_does_not_make_it_unsolicited(
    co: SsoCompany, browser: Browser
) -> None:
    """Only the assertion is signed; the attacker removes the Response's InResponseTo.
    The signed SubjectConfirmationData still names the request."""
    request = browser.start_login(co)
    document = reparse(co.response(BOB, in_response_to=request.id, sign_response=False))
    del document.attrib["InResponseTo"]
    co.toggles(allow_idp_initiated=True)
    other = Browser(co.company.server)
    try:
        refused(other, co, document, "in_response_to")
    finally:
        other.close()


# --- Signature wrapping (XSW) ----------------------------------------------------------


def _evil_copy(signed_assertion: etree._Element, nameid: str) -> etree._Element:
    evil = copy.deepcopy(signed_assertion)
    signature = evil.find(f"{{{DS}}}Signature")
    if signature is not None:
        evil.remove(signature)
    evil.set("ID", new_id())
    find(evil, "saml2:Subject/saml2:NameID").text = nameid
    return evil


def _signed_parts(co: SsoCompany, request_id: str) -> tuple[etree._Element, etree._Element]:
    document = reparse(co.response(BOB, in_response_to=request_id, sign_response=False))
    return document, find(document, "saml2:Assertion")


def test_xsw_evil_assertion_before_the_signed_one(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    document, signed = _signed_parts(co, request.id)
    signed.addprevious(_evil_copy(signed, ALICE))
    refused(browser, co, document, "assertion_count")


def test_xsw_evil_assertion_after_the_signed_one(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    document, signed = _signed_parts(co, request.id)
    signed.addnext(_evil_copy(signed, ALICE))
    refused(browser, co, document, "assertion_count")


def test_xsw_signed_assertion_inside_the_evil_ones_advice(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    document, signed = _signed_parts(co, request.id)
    evil = _evil_copy(signed, ALICE)
    advice = etree.Element(f"{{{SAML}}}Advice")
    find(evil, "saml2:Conditions").addnext(advice)
    document.replace(signed, evil)
    advice.append(signed)
    refused(browser, co, document, "assertion_count")


def test_xsw_signed_assertion_moved_to_extensions_evil_reuses_id_and_signature(
    co: SsoCompany, browser: Browser
) -> None:
    request = browser.start_login(co)
    document, signed = _signed_parts(co, request.id)
    evil = copy.deepcopy(signed)  # same ID, same Signature element
    find(evil, "saml2:Subject/saml2:NameID").text = ALICE
    extensions = etree.Element(f"{{{SAMLP}}}Extensions")
    find(document, "saml2:Issuer").addnext(extensions)
    document.replace(signed, evil)
    extensions.append(signed)
    refused(browser, co, document, "assertion_count")


def test_xsw_signed_assertion_hidden_in_the_evil_ones_signature_object(
    co: SsoCompany, browser: Browser
) -> None:
    request = browser.start_login(co)
    document, signed = _signed_parts(co, request.id)
    evil = copy.deepcopy(signed)
    find(evil, "saml2:Subject/saml2:NameID").text = ALICE
    evil.set("ID", new_id())
    signature = find(evil, "ds:Signature")
    hidden = etree.SubElement(signature, f"{{{DS}}}Object")
    document.replace(signed, evil)
    hidden.append(signed)
    refused(browser, co, document, "assertion_count")


def test_xsw_genuine_signature_pasted_onto_an_evil_assertion_with_the_same_id(
    co: SsoCompany, browser: Browser
) -> None:
    request = browser.start_login(co)
    document, signed = _signed_parts(co, request.id)
    evil = copy.deepcopy(signed)
    find(evil, "saml2:Subject/saml2:NameID").text = ALICE
    document.replace(signed, evil)
    refused(browser, co, document, "signature")


def test_xsw_signed_response_wrapping_an_evil_assertion_signed_by_nobody(
    co: SsoCompany, browser: Browser
) -> None:
    """The outer Response signature is genuine but covers an unsigned assertion the
    attacker wrote (Roster insists on the assertion's own signature)."""
    request = browser.start_login(co)
    evil = co.idp.assertion(
        acs_url=co.acs, audience=co.entity_id, nameid=ALICE, in_response_to=request.id
    )
    attacker_response = co.idp.response(
        acs_url=co.acs,
        audience=co.entity_id,
        nameid=ALICE,
        in_response_to=request.id,
        assertion=evil,
        sign_assertion=False,
        signer=make_keypair("attacker"),
    )
    refused(browser, co, attacker_response, "unsigned")


# --- Whose assertion is it -------------------------------------------------------------


def test_person_of_another_company_cannot_sign_in_here(
    co: SsoCompany, browser: Browser, other_company: Company
) -> None:
    other = enable_sso(other_company)
    other.add_person("carol@other.example")
    request = browser.start_login(co)
    # Company A's own IdP vouches for a person who exists only in company B.
    refused(
        browser, co, co.response("carol@other.example", in_response_to=request.id), "unknown_person"
    )


def test_company_b_idp_response_posted_to_company_a(
    co: SsoCompany, browser: Browser, other_company: Company
) -> None:
    other = enable_sso(other_company)
    other.add_person(ALICE)
    request = browser.start_login(co)
    # Signed by B's IdP, addressed to A: wrong issuer and key for A.
    response = other.idp.response(
        acs_url=co.acs, audience=co.entity_id, nameid=ALICE, in_response_to=request.id
    )
    refused(browser, co, response, "issuer")


def test_response_for_company_b_posted_to_company_a_with_the_same_idp(
    co: SsoCompany, browser: Browser, other_company: Company
) -> None:
    """Both companies trust the same IdP app: a response minted for B (audience,
    Destination and Recipient of B) does not sign anyone in at A."""
    other = enable_sso(other_company, idp=co.idp, allow_idp_initiated=True)
    other.add_person(ALICE)
    co.toggles(allow_idp_initiated=True)
    response = other.response(ALICE)
    refused(browser, co, response, "destination")


def test_deactivated_person_cannot_sign_in(co: SsoCompany, browser: Browser) -> None:
    person = co.add_person("dave@example.com")
    r = co.company.client.patch(
        f"/Users/{person}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
    )
    assert r.status_code == 200, r.text
    request = browser.start_login(co)
    response = co.response("dave@example.com", in_response_to=request.id)
    refused(browser, co, response, "inactive_person")


def test_deleted_person_cannot_sign_in(co: SsoCompany, browser: Browser) -> None:
    person = co.add_person("erin@example.com")
    assert co.company.client.delete(f"/Users/{person}").status_code == 204
    request = browser.start_login(co)
    refused(
        browser, co, co.response("erin@example.com", in_response_to=request.id), "deleted_person"
    )


def test_sso_turned_off_refuses_even_valid_responses(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    co.toggles(enabled=False)
    refused(browser, co, co.response(ALICE, in_response_to=request.id), "not_enabled")


def test_xml_with_a_dtd_is_refused_unparsed(co: SsoCompany, browser: Browser) -> None:
    request = browser.start_login(co)
    body = etree.tostring(co.response(ALICE, in_response_to=request.id))
    evil = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body
    refused(browser, co, evil, "malformed")


def test_garbage_saml_response(co: SsoCompany, browser: Browser) -> None:
    outcomes = Outcomes(co.company.server)
    r = browser.post_acs(co, "not base64 at all!")
    assert_refused(r, outcomes, "malformed")


def test_a_fresh_test_idp_signature_is_what_makes_the_difference(
    co: SsoCompany, browser: Browser
) -> None:
    """Control for the attacks above: an IdP whose metadata Roster does not trust is
    refused on signature even with everything else right."""
    stranger = TestIdp()
    stranger.entity_id = co.idp.entity_id  # claims to be our IdP
    request = browser.start_login(co)
    response = stranger.response(
        acs_url=co.acs, audience=co.entity_id, nameid=ALICE, in_response_to=request.id
    )
    refused(browser, co, response, "signature")
    ok = co.response(ALICE, in_response_to=request.id)
    assert_signed_in(browser, browser.post_acs(co, ok), ALICE)
    assert encode(ok)  # the same shape, only the key differed
