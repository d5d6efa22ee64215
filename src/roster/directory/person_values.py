"""What a write of a person stores, worked out from a PersonInput before anything is
written: the fields as columns, the password hash (none while the company signs in with
SSO), the manager link or a reference left pending until that manager arrives, and the
custom attributes an identity provider sends for the first time, registered on the
company. And, when a userName or email is taken, the 409's text: who holds it and what
the admin does about it. A step that ignores, discards or registers something says so
in the input's notes, which the audit row keeps.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.passwords import hash_password, verify_password
from roster.model.errors import invalid
from roster.model.person import REPLACEABLE, ROSTER_SET, UNSET, PersonInput
from roster.store import manager_links
from roster.store import tenants as tenant_store
from roster.store.people import Person
from roster.store.tenants import Tenant
from roster.store.types import utcnow


def _state(p: Person) -> str:
    return "active" if p["active"] else "deactivated"


def holder_situation(holder: Person) -> str:
    """Who holds a userName or email: their id, userName and whether they are active."""
    return f"person {holder['id']} (userName {holder['user_name']!r}, {_state(holder)})"


def conflict_detail(holder: Person, *, user_name: str | None, email: str | None) -> str:
    """Why a create or update collides, and what the admin does about it."""
    who = holder_situation(holder)
    if user_name and holder["user_name_lower"] == user_name.lower():
        what = f"userName {user_name!r} is already taken by {who}"
    else:
        what = f"email {email!r} is already in use by {who}"
    if not holder["active"]:
        fix = (
            "Fix: in Roster, free that deactivated person's email (Free this email on their "
            "page, or `roster person free-email`; it becomes a placeholder no one can hold), "
            "then retry the assignment in the identity provider."
        )
    elif holder["idp_linked_at"] is None:
        fix = (
            "Fix: that person existed before SCIM; assign them in the identity provider with "
            "exactly this email so its lookup links them (or turn on 'link existing people on "
            "create' in Roster's SCIM settings)."
        )
    else:
        fix = (
            f"That person is already provisioned by the identity provider (externalId "
            f"{holder['external_id']!r}); two IdP users map to one person. Fix the duplicate "
            "in the identity provider."
        )
    return f"{what}. {fix}"


async def register_custom_attributes(
    conn: AsyncConnection, tenant: Tenant, data: PersonInput
) -> None:
    if not data.new_custom:
        return
    locked = await tenant_store.lock_tenant(conn, tenant.id)
    known = {a["name"].lower() for a in locked.custom_attributes}
    added = [
        {"name": c.name, "type": c.type, "source": "idp", "created_at": utcnow().isoformat()}
        for c in data.new_custom
        if c.name.lower() not in known
    ]
    if added:
        await tenant_store.update_tenant(
            conn, tenant.id, custom_attributes=[*locked.custom_attributes, *added]
        )
        data.notes.extend(f"registered custom attribute {a['name']} (string)" for a in added)


async def manager_values(
    conn: AsyncConnection, tenant: Tenant, data: PersonInput, person_id: str
) -> dict[str, Any]:
    """manager_id / manager_pending for a request's manager reference."""
    if data.manager_ref is UNSET:
        return {}
    if data.manager_strict:
        return await _checked_manager(conn, tenant, data.manager_ref, person_id)
    if not tenant.setting("sync_managers"):
        if data.manager_ref is not None:
            data.notes.append("manager ignored: manager sync is off in the SCIM settings")
        return {}
    if data.manager_ref is None:
        return {"manager_id": None, **NO_PENDING_MANAGER}
    ref: str = data.manager_ref.strip()
    manager_id = await manager_links.resolve_reference(conn, tenant.id, ref)
    if manager_id == person_id:
        data.notes.append("manager ignored: a person cannot be their own manager")
        return {}
    if manager_id is None:
        data.notes.append(
            f"manager {ref!r} matches nobody yet (tried SCIM id, user id, email, employee "
            "number); it will be linked when that person arrives"
        )
        return {"manager_id": None, **pending_manager(ref)}
    return {"manager_id": manager_id, **NO_PENDING_MANAGER}


NO_PENDING_MANAGER: dict[str, Any] = {"manager_pending": None, "manager_pending_as_sent": None}


def pending_manager(ref: str) -> dict[str, Any]:
    """A manager reference that matches nobody yet: its lowercased key (what a person
    arriving is matched against) and, when its case differs, the text as sent (what
    SCIM echoes back until it resolves)."""
    key = ref.lower()
    return {"manager_pending": key, "manager_pending_as_sent": ref if ref != key else None}


async def _checked_manager(
    conn: AsyncConnection, tenant: Tenant, ref: str | None, person_id: str
) -> dict[str, Any]:
    """An admin's choice of manager: someone live in the company, not the person, and
    not one of the people who report to them (directly or through others)."""
    if ref is None:
        return {"manager_id": None, "manager_pending": None}
    manager_id = await manager_links.resolve_reference(conn, tenant.id, ref)
    if manager_id is None:
        raise invalid(
            f"Manager: {ref!r} matches nobody in the company; search by name or give their "
            "email, employee number or Roster user id",
            "manager_id",
        )
    if manager_id == person_id:
        raise invalid("Manager: a person cannot be their own manager", "manager_id")
    chain = await manager_links.manager_chain(conn, tenant.id, manager_id)
    if person_id in chain:
        raise invalid(
            f"Manager: {ref!r} reports to this person (directly or through others); choosing "
            "them would make a loop. Change that person's manager first",
            "manager_id",
        )
    return {"manager_id": manager_id, "manager_pending": None}


def field_values(data: PersonInput) -> dict[str, Any]:
    values = {
        k: v for k, v in data.fields.items() if k in REPLACEABLE or k == "active" or k in ROSTER_SET
    }
    user_name = data.fields["user_name"]
    values["user_name"] = user_name
    values["user_name_lower"] = user_name.lower()
    email = values.get("email")
    values["email_lower"] = email.lower() if email else None
    values["custom"] = data.custom
    return values


def keeps_passwords(tenant: Tenant) -> bool:
    """Whether a password sent over SCIM is stored: only with SSO off and the company's
    "accept passwords from the identity provider" on."""
    return not tenant.sso_enabled and bool(tenant.setting("accept_idp_passwords"))


async def password_values(
    tenant: Tenant, data: PersonInput, current_hash: str | None = None
) -> dict[str, Any]:
    if data.password is None:
        return {}
    if tenant.sso_enabled:
        data.notes.append("password discarded: the company signs in with SSO")
        return {}
    if not tenant.setting("accept_idp_passwords"):
        data.notes.append(
            "password discarded: the company does not accept passwords from the identity "
            "provider (SCIM settings)"
        )
        return {}
    if current_hash is not None and await verify_password(current_hash, data.password):
        return {}  # Okta's PUT repeats the synced password: nothing to write
    return {"password_hash": await hash_password(data.password)}
