"""Which company a request speaks for: the one room where a credential becomes a
company. Every door that serves a company's data starts here, and the company is never
taken from anything else a request carries (a body, a query, a form field).

- The identity provider: a SCIM bearer token -> `by_token`.
- A downstream service reading the events feed: an API token -> `by_api_token`.
- An admin's browser: a console session -> `by_console_session`.
- A person signing in: the company's name in a SAML address (`/saml2/{company}/...`),
  which the signed assertion must then match -> `by_address`.
- Someone signed in by SSO: their session -> `signed_in_as` (who, for /me).

Each door turns "no company" into its own answer (SCIM's 401, the console's sign-in
page, the SAML error page). The CLI is not a door: it runs with the database's own
authority and names the company by its subdomain (`tenants.get_tenant`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.admins import ConsoleUser, get_console_user
from roster.directory.api_tokens import looks_like_api_token
from roster.directory.sessions import Session
from roster.directory.tenants import is_subdomain
from roster.directory.tokens import hash_secret, looks_like_token
from roster.store import api_tokens as api_token_store
from roster.store import people as people_store
from roster.store import sso as sso_store
from roster.store import tenants as store
from roster.store.db import Database
from roster.store.tenants import Credential, Tenant
from roster.store.types import utcnow


async def by_token(db: Database, secret: str, *, touch_every: timedelta) -> Credential | None:
    """The company (and token) a SCIM bearer secret belongs to, or None. Revocation
    takes effect at once because every request reads the token row."""
    if not looks_like_token(secret):
        return None
    return await _by_digest(db, hash_secret(secret), touch_every, store)


async def by_api_token(db: Database, secret: str, *, touch_every: timedelta) -> Credential | None:
    """The company (and token) an events-feed API token belongs to, or None."""
    if not looks_like_api_token(secret):
        return None
    return await _by_digest(db, hash_secret(secret), touch_every, api_token_store)


class _TokenTable(Protocol):
    async def credential_by_hash(
        self, conn: AsyncConnection, secret_hash: str
    ) -> Credential | None: ...

    async def touch_token(
        self, conn: AsyncConnection, tenant_id: int, token_id: str, at: datetime
    ) -> None: ...


async def _by_digest(
    db: Database, digest: str, touch_every: timedelta, table: _TokenTable
) -> Credential | None:
    async with db.read() as conn:
        credential: Credential | None = await table.credential_by_hash(conn, digest)
    if credential is None:
        return None
    # The row is found by an index on the digest (timing there reveals nothing about
    # the secret); the final comparison is constant-time all the same.
    if not hmac.compare_digest(credential.secret_hash, digest):
        return None
    now = utcnow()
    if credential.last_used_at is None or now - credential.last_used_at >= touch_every:
        async with db.write() as conn:
            await table.touch_token(conn, credential.tenant.id, credential.token_id, now)
    return credential


async def by_console_session(db: Database, session: Session) -> tuple[Tenant, ConsoleUser] | None:
    """The company and admin of a console session, while both exist."""
    if session.subject_type != "console_user":
        return None
    user = await get_console_user(db, session.tenant_id, session.subject_id)
    if user is None:
        return None
    async with db.read() as conn:
        tenant = await store.tenant_by_id(conn, session.tenant_id)
    return None if tenant is None else (tenant, user)


async def by_address(db: Database, name: str) -> Tenant | None:
    """The company a SAML address names (any case), or None; a name no company can
    have is not looked up."""
    name = name.lower()
    if not is_subdomain(name):
        return None
    async with db.read() as conn:
        return await store.tenant_by_subdomain(conn, name)


@dataclass(frozen=True)
class SignedIn:
    email: str
    is_console_user: bool


async def signed_in_as(db: Database, session: Session) -> SignedIn | None:
    """Who a live session belongs to, while they may still sign in: a console user who
    still exists, or a person who is still active."""
    async with db.read() as conn:
        if session.subject_type == "console_user":
            email = await sso_store.console_user_email(conn, session.tenant_id, session.subject_id)
            return SignedIn(email, True) if email else None
        person = await people_store.get_person(conn, session.tenant_id, session.subject_id)
    if person is None or not person["active"]:
        return None
    return SignedIn(str(person["email"] or person["user_name"]), False)
