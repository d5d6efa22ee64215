"""Companies: creation, SCIM on/off, settings, custom attributes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError

from roster.directory.audit import SYSTEM, Actor, record_change
from roster.model.errors import conflict, invalid, not_found
from roster.model.registry import CUSTOM_TYPES, CustomAttribute
from roster.store import tenants as store
from roster.store.db import Database
from roster.store.tenants import DEFAULT_SETTINGS, Tenant
from roster.store.types import utcnow

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_CUSTOM_NAME = re.compile(r"^custom[A-Za-z0-9_]{1,94}$")


def is_subdomain(subdomain: str) -> bool:
    """Whether a company could have this subdomain (a lowercase DNS label)."""
    return _SUBDOMAIN.match(subdomain) is not None


def check_subdomain(subdomain: str) -> None:
    if not is_subdomain(subdomain):
        raise invalid(
            f"subdomain {subdomain!r} is not a lowercase DNS label: use 1-63 characters "
            "a-z, 0-9 and '-', not starting or ending with '-' (e.g. acme)",
            "subdomain",
        )


async def create_tenant(
    db: Database, subdomain: str, name: str | None = None, *, actor: Actor = SYSTEM
) -> Tenant:
    check_subdomain(subdomain)
    try:
        async with db.write() as conn:
            tenant = await store.insert_tenant(conn, subdomain=subdomain, name=name or subdomain)
            await record_change(
                conn,
                tenant.id,
                actor,
                "tenant.create",
                "Tenant",
                subdomain,
                changes={"subdomain": subdomain, "name": tenant.name},
            )
            return tenant
    except IntegrityError:
        raise conflict(f"a company with subdomain {subdomain!r} already exists") from None


async def get_tenant(db: Database, subdomain: str) -> Tenant:
    async with db.read() as conn:
        tenant = await store.tenant_by_subdomain(conn, subdomain)
    if tenant is None:
        raise not_found(
            f"no company with subdomain {subdomain!r} (create it with `roster tenant create`)"
        )
    return tenant


async def set_scim_enabled(
    db: Database, subdomain: str, enabled: bool, *, actor: Actor = SYSTEM
) -> Tenant:
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        await store.update_tenant(conn, tenant.id, scim_enabled=enabled)
        await record_change(
            conn,
            tenant.id,
            actor,
            "tenant.scim",
            "Tenant",
            subdomain,
            changes={"scim_enabled": [tenant.scim_enabled, enabled]},
        )
    return await get_tenant(db, subdomain)


def sso_switch(tenant: Tenant, enabled: bool) -> dict[str, Any]:
    """The company's columns for SSO turned on or off. With SSO, passwords are not
    synced: "accept passwords from the identity provider" goes off with SSO's arrival,
    so turning SSO off later does not silently start storing passwords again."""
    values: dict[str, Any] = {"sso_enabled": enabled}
    if enabled and tenant.setting("accept_idp_passwords"):
        values["settings"] = {**tenant.settings, "accept_idp_passwords": False}
    return values


async def set_sso_enabled(
    db: Database, subdomain: str, enabled: bool, *, actor: Actor = SYSTEM
) -> Tenant:
    tenant = await get_tenant(db, subdomain)
    values = sso_switch(tenant, enabled)
    changes = {k: [getattr(tenant, k), v] for k, v in values.items() if k != "settings"}
    if "settings" in values:
        changes["accept_idp_passwords"] = [True, False]
    async with db.write() as conn:
        await store.update_tenant(conn, tenant.id, **values)
        await record_change(
            conn, tenant.id, actor, "tenant.sso", "Tenant", subdomain, changes=changes
        )
    return await get_tenant(db, subdomain)


async def update_settings(
    db: Database, subdomain: str, actor: Actor = SYSTEM, /, **changes: Any
) -> Tenant:
    unknown = set(changes) - set(DEFAULT_SETTINGS)
    if unknown:
        raise invalid(f"unknown company setting(s): {', '.join(sorted(unknown))}")
    tenant = await get_tenant(db, subdomain)
    if changes.get("accept_idp_passwords") and tenant.sso_enabled:
        raise invalid(
            "Accepting passwords from the identity provider (accept_idp_passwords) cannot "
            "be turned on while SSO is on: people sign in with SSO, so passwords are not "
            "synced. Turn SSO off first if people should sign in with a password from the "
            "identity provider.",
            "accept_idp_passwords",
        )
    async with db.write() as conn:
        await store.update_tenant(conn, tenant.id, settings={**tenant.settings, **changes})
        await record_change(
            conn,
            tenant.id,
            actor,
            "tenant.settings",
            "Tenant",
            subdomain,
            changes={k: [tenant.settings.get(k), v] for k, v in changes.items()},
        )
    return await get_tenant(db, subdomain)


def check_custom_attribute(name: str, type_: str) -> None:
    if not _CUSTOM_NAME.match(name):
        raise invalid(
            f"custom attribute name {name!r} must start with 'custom' followed by letters, "
            "digits or '_' (e.g. customDepartmentCode)",
            "name",
        )
    if type_ not in CUSTOM_TYPES:
        raise invalid(
            f"custom attribute type {type_!r} is not one of {', '.join(CUSTOM_TYPES)}", "type"
        )


async def add_custom_attribute(
    db: Database,
    subdomain: str,
    name: str,
    type_: str,
    *,
    source: str = "admin",
    actor: Actor = SYSTEM,
) -> None:
    """Define a custom attribute, recorded as `attribute.define` in the same
    transaction (the console's `attributes.define` and the CLI both come here)."""
    check_custom_attribute(name, type_)
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        locked = await store.lock_tenant(conn, tenant.id)
        if any(a["name"].lower() == name.lower() for a in locked.custom_attributes):
            raise conflict(f"custom attribute {name!r} already exists")
        entry = {"name": name, "type": type_, "source": source, "created_at": utcnow().isoformat()}
        await store.update_tenant(
            conn, tenant.id, custom_attributes=[*locked.custom_attributes, entry]
        )
        await record_change(
            conn,
            tenant.id,
            actor,
            "attribute.define",
            "Attribute",
            None,
            changes={"name": name, "type": type_},
        )


def custom_attributes(tenant: Tenant) -> tuple[CustomAttribute, ...]:
    """The company's live custom attributes (retired ones keep their data, unshown)."""
    return tuple(
        CustomAttribute(a["name"], a["type"])
        for a in tenant.custom_attributes
        if not a.get("retired_at")
    )
