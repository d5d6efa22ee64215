"""SAML single sign-on: just-in-time creation of people at sign-in (only while SCIM is
off, never reviving a deactivated person), and passwords while SSO is on (SCIM
passwords discarded, password sign-in refused except for break-glass admins), on
SQLite and PostgreSQL, with responses signed by the test IdP (tests/support/sso_idp.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from roster.directory import sso, tenants
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
    company.call(
        lambda db: tenants.update_settings(db, company.subdomain, accept_idp_passwords=True)
    )
    company.refresh()
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
