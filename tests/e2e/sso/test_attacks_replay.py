"""Attacks on InResponseTo and replay (of the issue and shared/reference/saml-sso.md
§3): a response to a request this browser never made, a forged, foreign or stale
request cookie, the same response posted twice, an unsolicited one; each with a real
response signed by a test IdP (signxml), posted over HTTP to a live Roster.

Each test asserts the sign-in was refused with the generic page AND by which check (the
roster_sso_signins_total metric), so a broken test IdP cannot pass them by accident;
each refusal also writes a log line with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from roster.sso.cookies import REQUEST_COOKIE, RequestCookie
from roster.sso.keys import secret_key
from tests.support.harness import Company
from tests.support.sso_flow import (
    Browser,
    SsoCompany,
    assert_signed_in,
    enable_sso,
    refused,
)
from tests.support.sso_idp import (
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
