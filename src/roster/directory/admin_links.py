"""One-time set-password links: how an invited admin sets a first password and how an
admin whose password was reset sets a new one. No mail server is involved: the link is
shown once to the Account Admin who made it (or printed by the CLI) and passed on.

A link is a random 256-bit token; Roster keeps only its sha256 (the lookup). The
console shows a new link once, after a redirect, from the stash SCIM tokens and webhook
secrets share (directory/reveals.py). It expires after LIFETIME, works once, and a
newer link of the same admin replaces it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory import admins, sso
from roster.directory.audit import Actor, record_change
from roster.directory.passwords import hash_password
from roster.store import admin_links as store
from roster.store import admins as admin_store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow

LIFETIME = timedelta(hours=72)
INVITE = "invite"
RESET = "reset"
PATH = "/admin/set-password"
TOKEN_PREFIX = "rstr_setpw_"  # noqa: S105 (a prefix, not a password)
RESOURCE = "ConsoleUser"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_path(token: str) -> str:
    """Where the link leads. The token is in the query, which the access log leaves out."""
    return f"{PATH}?token={token}"


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{link_path(token)}"


@dataclass(frozen=True)
class IssuedLink:
    id: str
    token: str
    expires_at: datetime


async def issue_link(
    conn: AsyncConnection,
    tenant_id: int,
    user_id: str,
    purpose: str,
    *,
    actor: Actor,
) -> IssuedLink:
    """A new link for the admin in the caller's transaction (their older one stops
    working)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    link_id = new_id()
    now = utcnow()
    await store.replace_link(
        conn,
        {
            "tenant_id": tenant_id,
            "id": link_id,
            "console_user_id": user_id,
            "purpose": purpose,
            "token_hash": _digest(token),
            "created_by": actor.name[:100],
            "created_at": now,
            "expires_at": now + LIFETIME,
            "used_at": None,
        },
    )
    return IssuedLink(link_id, token, now + LIFETIME)


class LinkUnusable(Exception):
    """A link that does not set a password: used, expired, replaced or never made."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # used, expired, unknown


@dataclass(frozen=True)
class LinkHolder:
    tenant: Tenant
    user: admins.ConsoleUser
    purpose: str
    expires_at: datetime


async def open_link(db: Database, token: str) -> LinkHolder:
    """Whose link this is, while it can still be used; LinkUnusable otherwise."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise LinkUnusable("unknown")
    async with db.read() as conn:
        row = await store.link_by_digest(conn, _digest(token))
        if row is None:
            raise LinkUnusable("unknown")
        tenant = await tenant_store.tenant_by_id(conn, row["tenant_id"])
        user_row = await admin_store.console_user_by_id(
            conn, row["tenant_id"], row["console_user_id"]
        )
    if tenant is None or user_row is None:
        raise LinkUnusable("unknown")
    if row["used_at"] is not None:
        raise LinkUnusable("used")
    if row["expires_at"] <= utcnow():
        raise LinkUnusable("expired")
    return LinkHolder(tenant, admins.user_of(user_row), row["purpose"], row["expires_at"])


async def set_password(db: Database, token: str, password: str) -> LinkHolder:
    """Set the password of the link's admin and use the link up (once, whatever the
    concurrency); the password rules' refusal is a DirectoryError on "password"."""
    holder = await open_link(db, token)
    admins.check_password(password, context=(holder.user.email, holder.tenant.subdomain))
    password_hash = await hash_password(password)
    actor = Actor(f"admin:{holder.user.email}"[:100])
    async with db.write() as conn:
        used = await store.use_link(conn, _digest(token), utcnow())
        if used is None:
            raise LinkUnusable("used")
        await admin_store.update_console_user(
            conn, holder.tenant.id, holder.user.id, {"password_hash": password_hash}
        )
        await admin_store.clear_attempts(
            conn, admins.attempt_key_of(holder.tenant.subdomain, holder.user.email)
        )
        await record_change(
            conn,
            holder.tenant.id,
            actor,
            "admin.password_set",
            RESOURCE,
            holder.user.id,
            changes={"password": "set", "via": used["purpose"]},
        )
    return holder


async def password_sign_in_refusal(db: Database, holder: LinkHolder) -> str | None:
    """Why the admin may not now be signed in with the password just set (SSO only)."""
    return await sso.password_login_refusal(db, holder.tenant, break_glass=holder.user.break_glass)


def unusable_message(reason: str) -> str:
    if reason == "used":
        return "This link has been used already: each set-password link works once."
    if reason == "expired":
        return f"This link has expired: set-password links work for {LIFETIME.days * 24} hours."
    return "This link is not valid: it may have been replaced by a newer one, or mistyped."
