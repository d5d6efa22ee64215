"""SAML single sign-on: the flows that must work (SP- and IdP-initiated, Okta's
signing defaults, NameID kinds, JIT, rollover, metadata), on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import Company
from tests.sso_flow import Browser, Outcomes, assert_signed_in, enable_sso


def test_sp_initiated_sign_in_lands_on_me(company: Company) -> None:
    co = enable_sso(company)
    co.add_person("alice@example.com")
    browser = Browser(company.server)
    outcomes = Outcomes(company.server)
    request = browser.start_login(co)
    response = co.response("alice@example.com", in_response_to=request.id)
    r = browser.post_acs(co, response, request.relay_state)
    assert r.headers["location"] == "/me"
    assert_signed_in(browser, r, "alice@example.com")
    assert outcomes.delta() == {("signed_in", "sp"): 1.0}
