"""Who an SSO sign-in reaches in the console: only what the IdP signed (the NameID equal
to the console login) or what an admin linked (`roster sso link`), never a person's
email or userName, which a SCIM token, CSV import or another admin can edit. On SQLite
and PostgreSQL, with responses signed by the test IdP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from roster.directory import admins, sessions, sso, tenants
from roster.model.errors import DirectoryError
from roster.store.db import Database
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import POSTGRES_URL, Company
from tests.support.procserver import RosterProcess, database, provision
from tests.support.sso_flow import USER, Browser, SsoCompany, enable_sso
from tests.support.sso_idp import TestIdp, encode, read_authn_request

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def browser(company: Company) -> Iterator[Browser]:
    b = Browser(company.server)
    yield b
    b.close()


def _scim_person(
    company: Company, user_name: str, email: str, *, employee_number: str | None = None
) -> str:
    body: dict[str, object] = {
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Mallory", "familyName": "Example"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }
    if employee_number:
        body[ENTERPRISE] = {"employeeNumber": employee_number}
    r = company.client.post("/Users", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _sign_in(co: SsoCompany, browser: Browser, nameid: str) -> sessions.Session:
    request = browser.start_login(co)
    r = browser.post_acs(co, co.response(nameid, in_response_to=request.id))
    assert r.status_code == 303, r.text
    session = co.company.call(
        lambda db: sessions.load_session(db, browser.cookies["roster_session"])
    )
    assert session is not None
    return session


def _console_user_id(company: Company, email: str) -> str:
    async def find(db: Database) -> str:
        for admin in await admins.list_admins(db, company.tenant):
            if admin.email == email:
                return admin.id
        raise AssertionError(email)

    return company.call(find)


def _admin_console_refuses(browser: Browser) -> None:
    """A person session is no console session: the console asks for a sign-in."""
    r = browser.request("GET", "/admin/integrations/scim")
    assert r.status_code == 303, r.status_code
    assert r.headers["location"].startswith("/admin/login"), r.headers["location"]


def test_a_person_whose_email_is_an_admins_login_gets_no_console_session(
    company: Company, browser: Browser
) -> None:
    """With the company's SCIM token, mallory is created with jordan's address as her
    primary email; signing in through the IdP as mallory must not open jordan's
    console."""
    co = enable_sso(company)
    jordan = make_admin(company.server, company.subdomain, email=f"jordan@{company.subdomain}.ex")
    mallory = f"mallory@{company.subdomain}.ex"
    person = _scim_person(company, mallory, jordan)
    session = _sign_in(co, browser, mallory)
    assert (session.subject_type, session.subject_id) == ("person", person)
    assert '<a href="/admin">' not in browser.me().text
    _admin_console_refuses(browser)
    # Jordan, whose IdP login is the console login, still reaches the console.
    _scim_person(company, jordan, f"jordan.alt@{company.subdomain}.ex")
    other = Browser(company.server)
    try:
        session = _sign_in(co, other, jordan)
        assert (session.subject_type, session.subject_id) == (
            "console_user",
            _console_user_id(company, jordan),
        )
    finally:
        other.close()


def test_employee_number_nameid_reaches_the_console_only_through_a_link(
    company: Company, browser: Browser
) -> None:
    co = enable_sso(company, nameid="employee_number")
    jordan = make_admin(company.server, company.subdomain, email=f"jordan@{company.subdomain}.ex")
    # Mallory's employee number signs her in; her email names jordan.
    mallory = _scim_person(
        company, f"mallory@{company.subdomain}.ex", jordan, employee_number="E-666"
    )
    session = _sign_in(co, browser, "E-666")
    assert (session.subject_type, session.subject_id) == ("person", mallory)
    _admin_console_refuses(browser)

    # Jordan's own employee number, once an admin links it, opens jordan's console.
    _scim_person(
        company, f"jordan.idp@{company.subdomain}.ex", "j@other.ex", employee_number="E-100"
    )
    tenant = company.refresh()
    company.call(lambda db: sso.link_console_user(db, tenant, jordan, "e-100", actor="test"))
    other = Browser(company.server)
    try:
        session = _sign_in(co, other, "E-100")
        assert session.subject_type == "console_user"
        assert session.subject_id == _console_user_id(company, jordan)
    finally:
        other.close()
    # Mallory's number is not jordan's link: still a person.
    again = Browser(company.server)
    try:
        assert _sign_in(co, again, "E-666").subject_type == "person"
    finally:
        again.close()


def test_one_nameid_links_one_admin_and_unknown_admins_are_named(company: Company) -> None:
    enable_sso(company)
    first = make_admin(company.server, company.subdomain)
    second = make_admin(company.server, company.subdomain)
    tenant = company.refresh()
    company.call(lambda db: sso.link_console_user(db, tenant, first, "Shared@IdP.ex"))
    with pytest.raises(DirectoryError, match="already linked"):
        company.call(lambda db: sso.link_console_user(db, tenant, second, "shared@idp.ex"))
    with pytest.raises(DirectoryError, match="no console admin"):
        company.call(lambda db: sso.link_console_user(db, tenant, "nobody@x.ex", "n"))
    company.call(lambda db: sso.link_console_user(db, tenant, first, None))
    company.call(lambda db: sso.link_console_user(db, tenant, second, "shared@idp.ex"))


def test_a_limited_admin_cannot_escalate_through_csv_import(
    company: Company, browser: Browser
) -> None:
    """An Account Admin without Manage Integrations imports a CSV row whose userName is
    their own IdP login and whose email is an admin's who has it, then signs in through
    the IdP."""
    co = enable_sso(company)
    tenant = company.refresh()
    company.call(lambda db: tenants.set_scim_enabled(db, tenant.subdomain, False))
    jordan = make_admin(company.server, company.subdomain, email=f"jordan@{company.subdomain}.ex")
    lee = make_admin(
        company.server,
        company.subdomain,
        roles=(admins.ACCOUNT_ADMIN,),
        email=f"lee@{company.subdomain}.ex",
    )
    console = ConsoleClient(company.server.url)
    try:
        assert console.login(company.subdomain, lee, PASSWORD).status_code == 303
        # A person whose userName is lee's IdP login and whose email is jordan's.
        content = f"userName,email\n{lee},{jordan}\n".encode()
        r = console.post("/admin/import", files={"file": ("people.csv", content, "text/csv")})
        assert r.status_code == 303, r.text
        r = console.post(r.headers["location"] + "/apply")
        assert r.status_code == 303, r.text
    finally:
        console.close()
    session = _sign_in(co, browser, lee)
    # Lee reaches the console as lee (the NameID is lee's login), never as jordan.
    assert session.subject_type == "console_user"
    assert session.subject_id == _console_user_id(company, lee)
    assert session.subject_id != _console_user_id(company, jordan)
    r = browser.request("GET", "/admin/integrations/scim")
    assert r.status_code == 403, r.status_code


def test_changing_a_persons_email_never_changes_who_reaches_the_console(
    company: Company, browser: Browser
) -> None:
    co = enable_sso(company)
    jordan = make_admin(company.server, company.subdomain, email=f"jordan@{company.subdomain}.ex")
    person = _scim_person(company, jordan, jordan)
    assert _sign_in(co, browser, jordan).subject_type == "console_user"
    r = company.client.patch(
        f"/Users/{person}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "replace",
                    "path": 'emails[type eq "work"].value',
                    "value": f"someone@{company.subdomain}.ex",
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    other = Browser(company.server)
    try:
        # Still jordan's console: the login was signed, not read from the person.
        session = _sign_in(co, other, jordan)
        assert session.subject_id == _console_user_id(company, jordan)
    finally:
        other.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_refused_console_session_is_logged_with_its_reason_and_fix(
    backend: str, tmp_path: Path
) -> None:
    """The log line an operator reads when an admin says "SSO does not open my console"."""
    if backend == "postgresql" and not POSTGRES_URL:
        pytest.skip("ROSTER_TEST_POSTGRES_URL is not set")
    with database(backend, tmp_path) as url:
        (company,) = provision(url)
        idp = TestIdp()
        jordan = f"jordan@{company.subdomain}.ex"

        async def setup(db: Database) -> None:
            tenant = await tenants.get_tenant(db, company.subdomain)
            await sso.configure_idp(db, tenant, idp.metadata(), enable=True, actor="test")
            await admins.create_admin(db, company.subdomain, jordan, PASSWORD)

        async def run_setup() -> None:
            db = Database(url, pool_size=1)
            try:
                await setup(db)
            finally:
                await db.dispose()

        asyncio.run(run_setup())
        server = RosterProcess(url, tmp_path / "roster.log")
        server.start()
        try:
            mallory = f"mallory@{company.subdomain}.ex"
            r = httpx.post(
                f"{server.scim_url}/Users",
                headers=company.headers(),
                json={
                    "schemas": [USER],
                    "userName": mallory,
                    "emails": [{"value": jordan, "type": "work", "primary": True}],
                },
            )
            assert r.status_code == 201, r.text
            root = f"{server.url}/saml2/{company.subdomain}"
            browser = Browser(server)  # type: ignore[arg-type]
            try:
                login = browser.request("GET", f"/saml2/{company.subdomain}/login")
                authn = read_authn_request(login.headers["location"])
                response = idp.response(
                    acs_url=f"{root}/acs",
                    audience=f"{root}/metadata",
                    nameid=mallory,
                    in_response_to=authn.id,
                )
                r = browser.request(
                    "POST",
                    f"/saml2/{company.subdomain}/acs",
                    data={"SAMLResponse": encode(response)},
                )
                assert r.status_code == 303, r.text
            finally:
                browser.close()
        finally:
            server.stop()
        lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
        refused = [e for e in lines if e.get("event") == "sso console session refused"]
        assert len(refused) == 1, server.logs()[-3000:]
        assert refused[0]["reason"] == "console_identity_not_linked"
        assert refused[0]["console_user"] == jordan
        assert f"roster sso link {company.subdomain} {jordan}" in refused[0]["detail"]
        assert mallory not in json.dumps(refused[0])
