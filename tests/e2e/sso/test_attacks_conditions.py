"""Attacks on what a signed assertion is for (of the issue and
shared/reference/saml-sso.md §3): outside its time, for another audience, recipient,
destination or issuer, for a person of another company or one who may not sign in,
or not a well-formed document at all; each with a real response signed by a test IdP
(signxml), posted over HTTP to a live Roster.

Each test asserts the sign-in was refused with the generic page AND by which check (the
roster_sso_signins_total metric), so a broken test IdP cannot pass them by accident;
each refusal also writes a log line with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from tests.support.harness import Company
from tests.support.sso_flow import (
    Browser,
    Outcomes,
    SsoCompany,
    assert_refused,
    enable_sso,
    refused,
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
