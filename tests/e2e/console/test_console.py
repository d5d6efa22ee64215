"""The admin console over HTTP: sign-in, sessions, CSRF, throttling, roles, headers,
tenant isolation, the SCIM page, Manage People and the add-person rule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from roster.directory import admins, people, tenants
from roster.directory.people import Actor
from roster.model.errors import DirectoryError
from roster.model.registry import UserSchemas
from roster.scim.users import parse_user
from roster.store.db import Database
from tests.support.console import PASSWORD, make_admin, signed_in
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company, LiveServer, make_company
from tests.support.helpers import bulk_people
from tests.support.users import okta_user, set_sso


@contextmanager
def sql_with_params(company: Company) -> Iterator[list[tuple[str, Any]]]:
    db = company.server.db
    assert db is not None
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        seen.append((statement, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def test_sign_in_sets_a_hardened_session_cookie(company: Company) -> None:
    email = make_admin(company.server, company.subdomain)
    client = ConsoleClient(company.server.url)
    page = client.get("/admin")
    assert page.status_code == 303 and page.headers["location"].startswith("/admin/login")
    response = client.login(company.subdomain, email, PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("roster_session=")
    )
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    overview = client.get("/admin")
    assert overview.status_code == 200 and company.tenant.name in overview.text
    headers = overview.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    # Sign out ends the session on the server, not only in the browser.
    old = dict(client.cookies)
    assert client.post("/admin/logout").status_code == 303
    client.cookies = old
    assert client.get("/admin").status_code == 303
    client.close()


def test_wrong_password_and_unknown_company_say_the_same(company: Company) -> None:
    email = make_admin(company.server, company.subdomain)
    client = ConsoleClient(company.server.url)
    wrong = client.login(company.subdomain, email, "not the password")
    nobody = client.login("no-such-company", email, PASSWORD)
    assert wrong.status_code == nobody.status_code == 401
    assert "Company, email or password is incorrect." in wrong.text
    assert "Company, email or password is incorrect." in nobody.text
    client.close()


def test_login_is_throttled_after_repeated_failures(company: Company) -> None:
    email = make_admin(company.server, company.subdomain)
    client = ConsoleClient(company.server.url)
    for _ in range(admins.EMAIL_FAILURES):
        assert client.login(company.subdomain, email, "guess").status_code == 401
    locked = client.login(company.subdomain, email, PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in locked.text
    client.close()


def test_login_form_needs_its_csrf_token(company: Company) -> None:
    email = make_admin(company.server, company.subdomain)
    client = ConsoleClient(company.server.url)
    client.get("/admin/login")
    response = client.post(
        "/admin/login",
        {"company": company.subdomain, "email": email, "password": PASSWORD, "csrf_token": "x"},
    )
    assert response.status_code == 400 and "expired" in response.text
    client.close()


def test_every_form_needs_the_session_csrf_token(company: Company) -> None:
    client = signed_in(company)
    response = client.post(
        "/admin/integrations/scim/settings", {"sync_managers": "on", "csrf_token": "forged"}
    )
    assert response.status_code == 403
    cross_site = client.post(
        "/admin/integrations/scim/settings",
        {"sync_managers": "on"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    ok = client.post("/admin/integrations/scim/settings", {"sync_managers": "on"})
    assert ok.status_code == 303
    client.close()


def test_scim_pages_need_manage_integrations(company: Company) -> None:
    client = signed_in(company, roles=(admins.ACCOUNT_ADMIN,))
    for path in (
        "/admin/integrations/scim",
        "/admin/integrations/sso",
        "/admin/log",
        "/admin/troubleshooting",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Manage Integrations" in response.text
    assert client.post("/admin/integrations/scim/tokens", {"label": "x"}).status_code == 403
    assert client.get("/admin/people").status_code == 200
    client.close()


def test_one_company_never_sees_anothers_data(server: LiveServer) -> None:
    mine = make_company(server)
    theirs = make_company(server)
    try:
        created = theirs.client.post("/Users", json=okta_user("secret.person@theirs.example"))
        assert created.status_code == 201
        their_person = created.json()["id"]
        theirs.client.get("/Users/None")
        client = signed_in(mine)
        assert client.get(f"/admin/people/{their_person}").status_code == 404
        listing = client.get("/admin/people?q=secret.person")
        assert "0 people" in listing.text and "secret.person@theirs.example" not in listing.text
        timezone = client.post(f"/admin/people/{their_person}/timezone", {"timezone": "UTC"})
        assert timezone.status_code == 400
        assert "0 requests" in client.get("/admin/log").text
        assert "0 requests" in client.get(f"/admin/log?q={their_person}").text
        assert "0 groups" in client.get("/admin/groups").text
        # The session names the company; a company in the URL or form changes nothing.
        assert theirs.subdomain not in client.get("/admin/integrations/scim").text
        client.close()
    finally:
        mine.client.close()
        theirs.client.close()


def test_scim_page_enables_generates_lists_and_revokes_tokens(server: LiveServer) -> None:
    company = make_company(server)
    server.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    client = signed_in(company)
    page = client.get("/admin/integrations/scim")
    assert "Enable SCIM" in page.text and "Generate token" not in page.text
    enabled = client.post("/admin/integrations/scim/enable", {})
    assert enabled.status_code == 303 and "done=enabled" in enabled.headers["location"]
    made = client.post("/admin/integrations/scim/tokens", {"label": "Okta prod"})
    assert made.status_code == 303, made.text
    shown = client.get(made.headers["location"])
    token = re.search(r'value="(rstr_scim_[^"]+)"', shown.text)
    assert shown.status_code == 200 and token is not None
    assert f"{server.url}/scim/v2" in shown.text
    assert (
        company.client.get(
            "/Users", headers={"Authorization": f"Bearer {token.group(1)}"}
        ).status_code
        == 200
    )
    listing = client.get("/admin/integrations/scim")
    assert "Okta prod" in listing.text and token.group(1) not in listing.text
    ids = re.findall(r"/admin/integrations/scim/tokens/([0-9a-f-]{36})/revoke", listing.text)
    assert ids
    for tid in ids:
        client.post(f"/admin/integrations/scim/tokens/{tid}/revoke")
    assert (
        company.client.get(
            "/Users", headers={"Authorization": f"Bearer {token.group(1)}"}
        ).status_code
        == 401
    )
    saved = client.post(
        "/admin/integrations/scim/settings",
        {"reassign_reporters": "on", "send_welcome_email": "on"},
    )
    assert saved.status_code == 303
    fresh = company.refresh()
    assert fresh.setting("reassign_reporters") is True and fresh.setting("sync_managers") is False
    client.close()
    company.client.close()


def test_accepting_idp_passwords_is_refused_in_place_while_sso_is_on(company: Company) -> None:
    set_sso(company, True)
    client = signed_in(company)
    refused = client.post(
        "/admin/integrations/scim/settings",
        {"sync_managers": "on", "accept_idp_passwords": "on"},
    )
    assert refused.status_code == 400
    assert "cannot be turned on while SSO is on" in refused.text
    assert "Company settings" in refused.text  # the settings form, not a dead end
    fresh = company.refresh()
    assert fresh.setting("accept_idp_passwords") is False
    set_sso(company, False)
    saved = client.post(
        "/admin/integrations/scim/settings",
        {"sync_managers": "on", "accept_idp_passwords": "on"},
    )
    assert saved.status_code == 303 and company.refresh().setting("accept_idp_passwords") is True
    client.close()


def test_add_person_is_refused_while_scim_is_on_by_the_service_too(company: Company) -> None:
    client = signed_in(company)
    page = client.get("/admin/people")
    assert 'disabled aria-describedby="add-disabled"' in page.text
    refused = client.post("/admin/people", {"email": "hand@made.example"})
    assert refused.status_code == 403 and "SCIM is on" in refused.text
    schemas = UserSchemas(company.server.settings.company_extension_urn)

    async def direct(db: Database) -> None:
        data = parse_user({"userName": "hand@made.example"}, schemas)
        await people.create_person(
            db, company.tenant, data, actor=Actor("admin:x"), source="console"
        )

    with pytest.raises(DirectoryError) as refusal:
        company.call(direct)
    assert refusal.value.kind == "forbidden"
    client.close()


def test_add_person_works_while_scim_is_off_and_timezone_stays_editable(server: LiveServer) -> None:
    company = make_company(server)
    server.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    client = signed_in(company)
    made = client.post(
        "/admin/people",
        {"email": "new.hire@co.example", "given_name": "New", "family_name": "Hire"},
    )
    assert made.status_code == 303
    person_url = made.headers["location"].split("?")[0]
    assert "New Hire" in client.get(person_url).text
    assert client.post(f"{person_url}/timezone", {"timezone": "Europe/Paris"}).status_code == 303
    assert "Europe/Paris" in client.get(person_url).text
    bad = client.post(f"{person_url}/timezone", {"timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    client.close()
    company.client.close()


def test_manage_people_pages_by_keyset_with_search_and_filters(company: Company) -> None:
    bulk_people(company, 1000, prefix="page")
    client = signed_in(company)
    seen: list[str] = []
    url = "/admin/people?size=100"
    pages = 0
    while url:
        with sql_with_params(company) as statements:
            page = client.get(url)
        assert page.status_code == 200
        # SQLite renders LIMIT ? OFFSET ? for any LIMIT: the offset must stay 0.
        for statement, params in statements:
            if " OFFSET " in statement.upper() and "people" in statement:
                assert params[-1] == 0, statement
        seen += re.findall(r'href="/admin/people/([0-9a-f-]{36})" class="strong"', page.text)
        nxt = re.search(r'rel="next" href="([^"]+)"', page.text)
        url = nxt.group(1).replace("&amp;", "&") if nxt else ""
        pages += 1
    assert pages == 10 and len(seen) == len(set(seen)) == 1000
    found = client.get("/admin/people?q=page77%40")
    assert "1 person" in found.text and "page77@example.com" in found.text
    second = re.search(r'rel="next" href="([^"]+)"', client.get("/admin/people?size=100").text)
    assert second is not None
    back = re.search(
        r'rel="prev" href="([^"]+)"', client.get(second.group(1).replace("&amp;", "&")).text
    )
    assert back is not None
    # A hand-made cursor (an old link's email) is refused as a page, never a 500.
    assert client.get("/admin/people?size=100&after=page5%40example.com").status_code == 400
    assert "0 people" in client.get("/admin/people?linked=no").text
    assert "1,000 people" in client.get("/admin/people?status=active").text
    partial = client.get(
        "/admin/people?q=page1", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert partial.text.lstrip().startswith('<section id="results"')
    client.close()


def test_deleted_people_can_be_found_and_restored(company: Company) -> None:
    created = company.client.post("/Users", json=okta_user("gone@co.example"))
    person = created.json()["id"]
    assert company.client.delete(f"/Users/{person}").status_code == 204
    client = signed_in(company)
    assert "gone@co.example" not in client.get("/admin/people").text
    deleted = client.get("/admin/people?status=deleted")
    assert "gone@co.example" in deleted.text and "Deleted" in deleted.text
    assert "Restore" in client.get(f"/admin/people/{person}").text
    assert client.post(f"/admin/people/{person}/restore").status_code == 303
    assert company.client.get(f"/Users/{person}").status_code == 200
    client.close()


def test_custom_attributes_are_defined_retired_and_brought_back(company: Company) -> None:
    client = signed_in(company)
    urn = company.server.settings.company_extension_urn
    bad = client.post("/admin/attributes", {"name": "Level", "type": "number"})
    assert bad.status_code == 400 and "must start with &#39;custom&#39;" in bad.text
    assert (
        client.post("/admin/attributes", {"name": "customLevel", "type": "number"}).status_code
        == 303
    )
    page = client.get("/admin/attributes")
    assert f"{urn}:customLevel" in page.text
    schema = company.client.get(f"/Schemas/{urn}").json()
    assert "customLevel" in [a["name"] for a in schema["attributes"]]
    assert client.post("/admin/attributes/customLevel/retire").status_code == 303
    schema = company.client.get(f"/Schemas/{urn}").json()
    assert "customLevel" not in [a["name"] for a in schema["attributes"]]
    assert "Retired" in client.get("/admin/attributes").text
    back = client.post("/admin/attributes", {"name": "customLevel", "type": "number"})
    assert back.status_code == 303
    schema = company.client.get(f"/Schemas/{urn}").json()
    assert "customLevel" in [a["name"] for a in schema["attributes"]]
    client.close()


def test_groups_page_shows_type_source_and_counts(company: Company) -> None:
    bulk_people(company, 3, prefix="g")
    pushed = company.client.post("/Groups", json={"displayName": "Okta Engineers", "members": []})
    assert pushed.status_code == 201
    client = signed_in(company)
    made = client.post("/admin/groups", {"name": "Book club", "group_type": "Teams"})
    assert made.status_code == 303
    group_url = made.headers["location"].split("?")[0]
    assert client.post(f"{group_url}/members", {"member": "g1@example.com"}).status_code == 303
    assert client.post(f"{group_url}/rename", {"name": "Reading club"}).status_code == 303
    listing = client.get("/admin/groups")
    assert "Okta Engineers" in listing.text and "Identity provider" in listing.text
    assert "Reading club" in listing.text and "Teams" in listing.text
    idp_group = pushed.json()["id"]
    refused = client.post(f"/admin/groups/{idp_group}/rename", {"name": "Mine now"})
    assert refused.status_code == 403
    assert (
        client.post(f"/admin/groups/{idp_group}/type", {"group_type": "Departments"}).status_code
        == 303
    )
    again = company.client.put(
        f"/Groups/{idp_group}", json={"displayName": "Okta Engineers", "members": []}
    )
    assert again.status_code == 200
    assert "Departments" in client.get(f"/admin/groups/{idp_group}").text
    client.close()


def test_sso_page_configures_the_idp_and_password_sign_in_follows_it(company: Company) -> None:
    from tests.support.sso_idp import TestIdp

    idp = TestIdp()
    client = signed_in(company)
    page = client.get("/admin/integrations/sso")
    assert f"/saml2/{company.subdomain}/acs" in page.text and "Not set up" in page.text
    early = client.post("/admin/integrations/sso/settings", {"enabled": "on"})
    assert early.status_code == 400 and "metadata" in early.text
    uploaded = client.post("/admin/integrations/sso/metadata", {"metadata_xml": idp.metadata()})
    assert uploaded.status_code == 303
    page = client.get("/admin/integrations/sso")
    assert idp.entity_id in page.text and idp.keys.fingerprint.upper()[:10] in page.text.upper()
    jit = client.post(
        "/admin/integrations/sso/settings",
        {"enabled": "on", "allow_password_signin": "on", "allow_jit": "on", "nameid": "email"},
    )
    assert jit.status_code == 400 and "JIT" in jit.text
    saved = client.post("/admin/integrations/sso/settings", {"enabled": "on", "nameid": "email"})
    assert saved.status_code == 303
    # Password sign-in is now off: only a break-glass admin may use a password.
    email = make_admin(company.server, company.subdomain)
    other = ConsoleClient(company.server.url)
    refused = other.login(company.subdomain, email, PASSWORD)
    assert refused.status_code == 401 and "single sign-on" in refused.text
    assert (
        client.post(
            "/admin/integrations/sso/break-glass", {"email": email, "break_glass": "on"}
        ).status_code
        == 303
    )
    assert other.login(company.subdomain, email, PASSWORD).status_code == 303
    other.close()
    client.close()
