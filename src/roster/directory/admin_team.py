"""Managing a company's admins: list, invite, change roles, reset a password, remove,
unlock. The console's Admins page and `roster admin ...` call these.

The one rule over all of them: a company that has an Account Admin who can sign in
(a password, or a linked SSO NameID) keeps at least one. Demoting, removing or
resetting the password of the last such admin is refused. The check runs inside the
write transaction with every admin of the company locked (FOR UPDATE on PostgreSQL;
SQLite's single writer), so two Account Admins demoting each other at the same moment
cannot both succeed.

A password reset takes effect at once: the old password stops working and the
admin's sessions end; the new one-time link (directory/admin_links.py) sets the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory import admin_links
from roster.directory.admins import (
    EMAIL_FAILURES,
    WINDOW,
    ConsoleUser,
    attempt_key_of,
    check_email,
    check_roles,
    user_of,
)
from roster.directory.audit import Actor, record_change
from roster.directory.tenants import get_tenant
from roster.model.errors import conflict, invalid, not_found
from roster.store import admin_links as link_store
from roster.store import admins as store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.sessions import delete_subject_sessions
from roster.store.tenants import Tenant
from roster.store.types import utcnow

RESOURCE = admin_links.RESOURCE
MAX_NAME = 200


@dataclass(frozen=True)
class AdminView:
    """One admin as the Admins page and `roster admin list` show them."""

    user: ConsoleUser
    status: str  # active, locked, invited, invite_expired, reset, reset_expired, no_password
    locked_until: datetime | None
    link_expires_at: datetime | None

    @property
    def status_text(self) -> str:
        until = self.link_expires_at.strftime("%Y-%m-%d %H:%M UTC") if self.link_expires_at else ""
        locked = self.locked_until.strftime("%Y-%m-%d %H:%M UTC") if self.locked_until else ""
        return {
            "active": "Active",
            "locked": f"Locked until {locked}",
            "invited": f"Invited: invitation pending until {until}",
            "invite_expired": "Invited: invitation expired",
            "reset": f"Password reset: link pending until {until}",
            "reset_expired": "Password reset: link expired",
            "no_password": "No password set",
        }[self.status]


def _limits(now: datetime) -> dict[str, Any]:
    return {"now": now, "limit": EMAIL_FAILURES, "window": WINDOW}


def _status(user: ConsoleUser, link: dict[str, Any] | None, locked: datetime | None) -> str:
    if user.can_sign_in:
        return "locked" if locked else "active"
    if link is None:
        return "no_password"
    expired = link["expires_at"] <= utcnow()
    if link["purpose"] == admin_links.INVITE:
        return "invite_expired" if expired else "invited"
    return "reset_expired" if expired else "reset"


async def list_admins(db: Database, subdomain: str) -> list[AdminView]:
    tenant = await get_tenant(db, subdomain)
    now = utcnow()
    async with db.read() as conn:
        users = [user_of(r) for r in await store.list_console_users(conn, tenant.id)]
        links = await link_store.open_links(conn, tenant.id)
        keys = {u.id: attempt_key_of(tenant.subdomain, u.email) for u in users}
        locked = await store.locked_keys(conn, list(keys.values()), **_limits(now))
    out = []
    for u in users:
        link = links.get(u.id)
        until = locked.get(keys[u.id])
        status = _status(u, link, until)
        shows_link = status in ("invited", "invite_expired", "reset", "reset_expired")
        out.append(AdminView(u, status, until, link["expires_at"] if link and shows_link else None))
    return out


async def get_admin(db: Database, subdomain: str, admin_id: str) -> AdminView:
    found = next((a for a in await list_admins(db, subdomain) if a.user.id == admin_id), None)
    if found is None:
        raise not_found(f"no admin {admin_id} in {subdomain}: they may have been removed")
    return found


def _check_name(name: str | None) -> str | None:
    name = " ".join((name or "").split())
    if len(name) > MAX_NAME:
        raise invalid(f"the name must be at most {MAX_NAME} characters", "name")
    return name or None


def _usable_account_admin(user: ConsoleUser) -> bool:
    return user.is_account_admin and user.can_sign_in


async def _locked_admin(
    conn: AsyncConnection, tenant: Tenant, admin_id: str
) -> tuple[ConsoleUser, list[ConsoleUser]]:
    """The admin and all the company's admins, locked for the rest of the transaction."""
    everyone = [user_of(r) for r in await store.lock_console_users(conn, tenant.id)]
    target = next((u for u in everyone if u.id == admin_id), None)
    if target is None:
        raise not_found(f"no admin {admin_id} in {tenant.subdomain}: they may have been removed")
    return target, everyone


def _keep_one(
    tenant: Tenant, everyone: list[ConsoleUser], target: ConsoleUser, after: ConsoleUser | None
) -> None:
    """Refuse a change that leaves the company without an Account Admin who can sign in
    (when it had one). `after`: the target as the change leaves them; None: removed."""
    before = [u for u in everyone if _usable_account_admin(u)]
    remaining = [u for u in before if u.id != target.id]
    if after is not None and _usable_account_admin(after):
        remaining.append(after)
    if before and not remaining:
        raise conflict(
            f"the company would be left without an Account Admin who can sign in: "
            f"{target.email} is the only one. Make another admin an Account Admin first "
            "(invite one if needed)"
        )


async def invite_admin(
    db: Database,
    subdomain: str,
    email: str,
    roles: Iterable[str],
    *,
    name: str | None = None,
    actor: Actor,
) -> tuple[ConsoleUser, admin_links.IssuedLink]:
    """A new admin without a password, and their invitation link."""
    email = check_email(email)
    chosen = check_roles(roles)
    shown_name = _check_name(name)
    tenant = await get_tenant(db, subdomain)
    admin_id = new_id()
    row: dict[str, Any] = {
        "tenant_id": tenant.id,
        "id": admin_id,
        "email": email,
        "email_lower": email.lower(),
        "name": shown_name,
        "password_hash": None,
        "roles": list(chosen),
        "break_glass": False,
        "created_at": utcnow(),
        "last_login_at": None,
    }
    try:
        async with db.write() as conn:
            await store.insert_console_user(conn, row)
            link = await admin_links.issue_link(
                conn, tenant.id, admin_id, admin_links.INVITE, actor=actor
            )
            await record_change(
                conn,
                tenant.id,
                actor,
                "admin.invite",
                RESOURCE,
                admin_id,
                changes={
                    "email": email,
                    "name": shown_name,
                    "roles": list(chosen),
                    "link_expires_at": link.expires_at.isoformat(),
                },
            )
    except IntegrityError:
        raise conflict(f"{email} is already an admin of {subdomain}") from None
    return user_of(row), link


async def set_roles(
    db: Database, subdomain: str, admin_id: str, roles: Iterable[str], *, actor: Actor
) -> ConsoleUser:
    chosen = check_roles(roles)
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        target, everyone = await _locked_admin(conn, tenant, admin_id)
        if target.roles == chosen:
            return target  # nothing changes, nothing is written
        after = replace(target, roles=chosen)
        _keep_one(tenant, everyone, target, after)
        await store.update_console_user(conn, tenant.id, admin_id, {"roles": list(chosen)})
        await record_change(
            conn,
            tenant.id,
            actor,
            "admin.roles",
            RESOURCE,
            admin_id,
            changes={"email": target.email, "roles": [list(target.roles), list(chosen)]},
        )
    return after


async def reset_password(
    db: Database,
    subdomain: str,
    admin_id: str,
    *,
    actor: Actor,
) -> tuple[ConsoleUser, admin_links.IssuedLink]:
    """The old password stops working and the admin's sessions end now; the link sets
    the next password."""
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        target, everyone = await _locked_admin(conn, tenant, admin_id)
        after = replace(target, has_password=False)
        _keep_one(tenant, everyone, target, after)
        await store.update_console_user(conn, tenant.id, admin_id, {"password_hash": None})
        await delete_subject_sessions(conn, tenant.id, "console_user", admin_id)
        await store.clear_attempts(conn, attempt_key_of(tenant.subdomain, target.email))
        link = await admin_links.issue_link(
            conn, tenant.id, admin_id, admin_links.RESET, actor=actor
        )
        await record_change(
            conn,
            tenant.id,
            actor,
            "admin.password_reset",
            RESOURCE,
            admin_id,
            changes={
                "email": target.email,
                "password": "cleared",
                "sessions": "ended",
                "link_expires_at": link.expires_at.isoformat(),
            },
        )
    return after, link


async def remove_admin(db: Database, subdomain: str, admin_id: str, *, actor: Actor) -> ConsoleUser:
    """The admin is gone, with their sessions and links; the audit trail keeps who."""
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        target, everyone = await _locked_admin(conn, tenant, admin_id)
        _keep_one(tenant, everyone, target, None)
        await delete_subject_sessions(conn, tenant.id, "console_user", admin_id)
        await link_store.delete_links(conn, tenant.id, admin_id)
        await store.clear_attempts(conn, attempt_key_of(tenant.subdomain, target.email))
        await store.delete_console_user(conn, tenant.id, admin_id)
        await record_change(
            conn,
            tenant.id,
            actor,
            "admin.remove",
            RESOURCE,
            admin_id,
            changes={"email": target.email, "name": target.name, "roles": list(target.roles)},
        )
    return target


async def unlock_admin(db: Database, subdomain: str, admin_id: str, *, actor: Actor) -> bool:
    """Clear the admin's sign-in lockout (the failed attempts counted against their
    email; an address's own limit is not theirs to clear). False: was not locked."""
    tenant = await get_tenant(db, subdomain)
    now = utcnow()
    async with db.write() as conn:
        target, _ = await _locked_admin(conn, tenant, admin_id)
        key = attempt_key_of(tenant.subdomain, target.email)
        locked = (await store.locked_keys(conn, [key], **_limits(now))).get(key)
        if locked is None:
            return False
        await store.clear_attempts(conn, key)
        await record_change(
            conn,
            tenant.id,
            actor,
            "admin.unlock",
            RESOURCE,
            admin_id,
            changes={"email": target.email, "locked_until": [locked.isoformat(), None]},
        )
    return True


async def admin_by_email(db: Database, subdomain: str, email: str) -> ConsoleUser:
    """For the CLI, which names an admin by email."""
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        row = await store.console_user_by_email(conn, tenant.id, email.strip().lower())
    if row is None:
        raise not_found(
            f"no admin {email} in {subdomain}: `roster admin list {subdomain}` lists them"
        )
    return user_of(row)
