"""Attacks on the signature (of the issue and shared/reference/saml-sso.md §3): a
response changed after signing, unsigned, or signed with the wrong key or algorithm,
and signature wrapping (XSW); each with a real response signed by a test IdP
(signxml), posted over HTTP to a live Roster. The controls are here too: the valid
response the attacks start from signs in, and an IdP Roster does not trust is refused
on its signature alone.

Each test asserts the sign-in was refused with the generic page AND by which check (the
roster_sso_signins_total metric), so a broken test IdP cannot pass them by accident;
each refusal also writes a log line with the reason."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from lxml import etree

from tests.support.harness import Company
from tests.support.sso_flow import (
    Browser,
    SsoCompany,
    assert_signed_in,
    enable_sso,
    find,
    refused,
)
from tests.support.sso_idp import (
    DS,
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
