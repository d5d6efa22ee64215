"""Helpers for the SSO tests: a company set up with a test IdP, and a browser (httpx)
that keeps cookies the way a browser does for these flows — including the Secure
request-id cookie, which http.cookiejar would withhold from http://127.0.0.1."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import httpx
from lxml import etree

from roster.directory import sso, tenants
from roster.store.db import Database
from tests.support.harness import Company, LiveServer
from tests.support.sso_idp import NS, AuthnRequest, TestIdp, encode, read_authn_request

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass
class SsoCompany:
    company: Company
    idp: TestIdp
    base_url: str

    @property
    def subdomain(self) -> str:
        return self.company.subdomain

    @property
    def root(self) -> str:
        return f"{self.base_url}/saml2/{self.subdomain}"

    @property
    def acs(self) -> str:
        return f"{self.root}/acs"

    @property
    def entity_id(self) -> str:
        return f"{self.root}/metadata"

    def response(self, nameid: str, **options: Any) -> etree._Element:
        """A Response from this company's IdP, addressed to this company's ACS."""
        return self.idp.response(
            acs_url=options.pop("acs_url", self.acs),
            audience=options.pop("audience", self.entity_id),
            nameid=nameid,
            **options,
        )

    def settings(self) -> sso.SsoSettings:
        return self.company.call(lambda db: sso.get_settings(db, self.company.tenant))

    def toggles(self, **toggles: Any) -> sso.SsoSettings:
        tenant = self.company.refresh()
        return self.company.call(lambda db: sso.update_toggles(db, tenant, **toggles))

    def add_person(
        self, email: str, *, employee_number: str | None = None, active: bool = True
    ) -> str:
        """A person provisioned over SCIM, as Okta does."""
        body: dict[str, Any] = {
            "schemas": [USER, ENTERPRISE],
            "userName": email,
            "name": {"givenName": "Given", "familyName": "Family"},
            "emails": [{"value": email, "type": "work", "primary": True}],
            "active": active,
        }
        if employee_number:
            body[ENTERPRISE] = {"employeeNumber": employee_number}
        r = self.company.client.post("/Users", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def enable_sso(
    company: Company, *, idp: TestIdp | None = None, base_url: str | None = None, **toggles: Any
) -> SsoCompany:
    idp = idp or TestIdp()

    async def configure(db: Database) -> None:
        tenant = await tenants.get_tenant(db, company.subdomain)
        await sso.configure_idp(db, tenant, idp.metadata(), enable=True, actor="test")
        if toggles:
            await sso.update_toggles(db, tenant, **toggles)

    company.call(configure)
    company.refresh()
    return SsoCompany(company, idp, base_url or company.server.url)


@dataclass
class Browser:
    """One browser: its own cookies, no redirects followed unless asked."""

    server: LiveServer
    cookies: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # cookie name -> Path
    set_cookie_headers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.server.url, timeout=60)

    def close(self) -> None:
        self.client.close()

    def _keep(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            self.set_cookie_headers.append(header)
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                    self.paths.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
                    self.paths[name] = morsel["path"] or "/"

    def _sent_to(self, path: str) -> dict[str, str]:
        """The cookies a browser sends to `path` (RFC 6265 path-match)."""
        sent = {}
        for name, value in self.cookies.items():
            scope = self.paths.get(name, "/")
            if path == scope or path.startswith(scope.rstrip("/") + "/"):
                sent[name] = value
        return sent

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        cookies = self._sent_to(urlsplit(url).path)
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        response = self.client.request(method, url, headers=headers, **kwargs)
        self._keep(response)
        return response

    def start_login(self, company: SsoCompany, next: str | None = None) -> AuthnRequest:
        params = {"next": next} if next else None
        r = self.request("GET", f"/saml2/{company.subdomain}/login", params=params)
        assert r.status_code == 302, r.text
        location = r.headers["location"]
        assert location.startswith(company.idp.sso_url + "?")
        return read_authn_request(location)

    def post_acs(
        self,
        company: SsoCompany,
        saml_response: etree._Element | bytes | str,
        relay_state: str | None = None,
        *,
        subdomain: str | None = None,
    ) -> httpx.Response:
        value = saml_response if isinstance(saml_response, str) else encode(saml_response)
        data = {"SAMLResponse": value}
        if relay_state is not None:
            data["RelayState"] = relay_state
        return self.request("POST", f"/saml2/{subdomain or company.subdomain}/acs", data=data)

    def me(self) -> httpx.Response:
        return self.request("GET", "/me")


_METRIC = re.compile(
    r'^roster_sso_signins_total\{outcome="([^"]+)",reason="([^"]+)"\} ([0-9.e+]+)$', re.M
)


def sign_in_counts(server: LiveServer) -> dict[tuple[str, str], float]:
    text = httpx.get(f"{server.url}/metrics", timeout=30).text
    return {(o, r): float(v) for o, r, v in _METRIC.findall(text)}


class Outcomes:
    """Counts sign-in outcomes between two points, from /metrics: proves WHICH check
    turned a response away, not just that something did."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.before = sign_in_counts(server)

    def delta(self) -> dict[tuple[str, str], float]:
        after = sign_in_counts(self.server)
        return {
            k: after[k] - self.before.get(k, 0.0)
            for k in after
            if after[k] - self.before.get(k, 0.0) > 0
        }


def assert_refused(response: httpx.Response, outcomes: Outcomes, reason: str) -> None:
    assert response.status_code == 403, response.text
    assert "Sign-in failed" in response.text
    assert "roster_session" not in response.headers.get("set-cookie", "")
    # The page is generic: it never says why (the log line and the metric do).
    assert reason not in response.text
    assert outcomes.delta() == {("refused", reason): 1.0}


def assert_signed_in(browser: Browser, response: httpx.Response, email: str) -> None:
    assert response.status_code == 303, response.text
    assert "roster_session" in browser.cookies
    me = browser.me()
    assert me.status_code == 200, me.text
    assert f"Signed in as <strong>{email}</strong>" in me.text


def refused(
    browser: Browser, co: SsoCompany, response: etree._Element | bytes, reason: str
) -> None:
    """Posting this response is refused by the check named `reason`, and leaves the
    browser signed out."""
    outcomes = Outcomes(co.company.server)
    r = browser.post_acs(co, response)
    assert_refused(r, outcomes, reason)
    assert browser.me().status_code == 401


def find(document: etree._Element, path: str) -> etree._Element:
    """The element at `path` (saml2p:, saml2:, ds: prefixes), which must be there."""
    found = document.find(path, NS)
    assert found is not None, path
    return found
