"""Who a verified SAML assertion signs in: the rules that hold whatever the IdP says.

- The person must exist in THIS company and be active: deactivated and deleted
  people are refused, even if the IdP still lets them in.
- The NameID is the person's email (or userName) or their employee number, per the
  company's setting; an attribute never overrides it.
- A person unknown to Roster is created (JIT) only when the company allows it, and
  never while SCIM is on (the IdP creates people then; JIT would make duplicates).
- The console is reached only through what was signed or explicitly linked: the
  console user an admin linked to this NameID (`roster sso link`), or, with the email
  NameID format, the console user whose login is the NameID itself. Never through the
  matched person's email or userName, which the IdP, a SCIM token, CSV import and other
  admins can edit: a person whose email names an admin gets a person session, and the
  refused console session is logged with the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roster.directory import people as people_service
from roster.directory.people import Actor
from roster.directory.sso import SsoSettings
from roster.logging import get_logger
from roster.model.errors import DirectoryError
from roster.model.person import new_person
from roster.store import sso as store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.tenants import Tenant
from roster.store.types import utcnow

log = get_logger("roster.sso")

# Attribute names Okta (Attribute Statements), Entra ID (claims) and others use.
EMAIL_ATTRIBUTES = (
    "email",
    "Email",
    "mail",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
)
GIVEN_NAME_ATTRIBUTES = (
    "firstName",
    "givenName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
)
FAMILY_NAME_ATTRIBUTES = (
    "lastName",
    "sn",
    "surname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
)


class SignInRefused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SignInSubject:
    subject_type: str  # "person" or "console_user" (sessions.subject_type)
    subject_id: str
    person_id: str
    email: str | None
    created: bool = False  # made at this sign-in (JIT)


def first_attribute(attributes: dict[str, list[str]], names: tuple[str, ...]) -> str | None:
    for name in names:
        for value in attributes.get(name) or ():
            if value.strip():
                return value.strip()
    return None


async def subject_for(
    db: Database,
    tenant: Tenant,
    sso: SsoSettings,
    *,
    nameid: str,
    attributes: dict[str, list[str]],
    request_id: str | None = None,
) -> SignInSubject:
    value = nameid.strip()
    async with db.read() as conn:
        if sso.nameid == "employee_number":
            found = await store.people_for_sign_in(conn, tenant.id, employee_number=value)
        else:
            found = await store.people_for_sign_in(conn, tenant.id, email_lower=value.lower())
        fresh = await tenant_store.tenant_by_id(conn, tenant.id)
    live = [p for p in found if p["deleted_at"] is None]
    if len(live) > 1:
        raise SignInRefused(
            "ambiguous_person", f"{len(live)} people match the NameID ({sso.nameid})"
        )
    if live:
        person = live[0]
        if not person["active"]:
            raise SignInRefused("inactive_person", f"person {person['id']} is deactivated")
        return await _as_subject(db, tenant, sso, person, value, created=False)
    if found:
        raise SignInRefused("deleted_person", f"person {found[0]['id']} is deleted")
    scim_on = bool(fresh.scim_enabled if fresh else tenant.scim_enabled)
    if not sso.allow_jit or scim_on:
        why = "SCIM is on" if scim_on and sso.allow_jit else "JIT creation is off"
        raise SignInRefused(
            "unknown_person", f"nobody in the company has {sso.nameid} {value!r} ({why})"
        )
    person = await _create_at_sign_in(db, fresh or tenant, sso, value, attributes, request_id)
    return await _as_subject(db, tenant, sso, person, value, created=True)


async def _create_at_sign_in(
    db: Database,
    tenant: Tenant,
    sso: SsoSettings,
    nameid: str,
    attributes: dict[str, list[str]],
    request_id: str | None,
) -> dict[str, Any]:
    email = nameid if sso.nameid == "email" else first_attribute(attributes, EMAIL_ATTRIBUTES)
    if not email or "@" not in email:
        raise SignInRefused(
            "unknown_person", "JIT needs an email: the NameID or an 'email' attribute"
        )
    try:
        data = new_person(
            email,
            email=email,
            given_name=first_attribute(attributes, GIVEN_NAME_ATTRIBUTES),
            family_name=first_attribute(attributes, FAMILY_NAME_ATTRIBUTES),
            employee_number=nameid if sso.nameid == "employee_number" else None,
        )
        written = await people_service.create_person(
            db, tenant, data, actor=Actor("sso", request_id), source="sso"
        )
    except DirectoryError as exc:
        raise SignInRefused("jit_refused", exc.message) from None
    return dict(written.person)


async def _as_subject(
    db: Database,
    tenant: Tenant,
    sso: SsoSettings,
    person: dict[str, Any],
    nameid: str,
    *,
    created: bool,
) -> SignInSubject:
    email = person.get("email") or person.get("user_name")
    logins: list[str] = []
    async with db.read() as conn:
        console_user = await store.console_user_for_sign_in(
            conn, tenant.id, nameid.lower(), login_matches=sso.nameid == "email"
        )
        if console_user is None:
            # What the old rule would have granted: say why it is not, and the fix.
            named = {str(v).lower() for v in (person.get("email"), person.get("user_name")) if v}
            logins = await store.console_user_logins(conn, tenant.id, sorted(named))
    if console_user is not None:
        async with db.write() as conn:
            await store.touch_console_user(conn, tenant.id, console_user, utcnow())
        return SignInSubject("console_user", console_user, person["id"], email, created)
    for login in logins:
        log.warning(
            "sso console session refused",
            tenant=tenant.subdomain,
            reason="console_identity_not_linked",
            person_id=person["id"],
            console_user=login,
            detail=(
                f"person {person['id']} has the console login {login} as email or userName, "
                f"but the signed NameID is not that login and is not linked to it; signed "
                f"in as a person. If this is that admin, link them: roster sso link "
                f"{tenant.subdomain} {login} NAMEID"
            ),
        )
    return SignInSubject("person", person["id"], person["id"], email, created)
