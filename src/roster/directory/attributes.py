"""Custom attributes for the console: define, retire (the values stay on people, the
attribute leaves the SCIM schema, CSV columns and filters), bring back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from roster.directory import tenants
from roster.directory.audit import record_change
from roster.directory.people import Actor
from roster.model.errors import invalid, not_found
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.tables import people
from roster.store.tenants import Tenant
from roster.store.types import utcnow


@dataclass
class AttributeInfo:
    name: str
    type: str
    source: str  # admin or idp (registered on first use)
    created_at: str | None
    retired_at: str | None
    people_with_value: int


async def list_attributes(db: Database, tenant: Tenant) -> list[AttributeInfo]:
    async with db.read() as conn:
        fresh = await tenant_store.tenant_by_id(conn, tenant.id)
        assert fresh is not None
        out = []
        for a in fresh.custom_attributes:
            count = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(people)
                    .where(
                        people.c.tenant_id == tenant.id,
                        people.c.deleted_at.is_(None),
                        people.c.custom[a["name"]].as_string().is_not(None),
                    )
                )
            ).scalar_one()
            out.append(
                AttributeInfo(
                    a["name"],
                    a["type"],
                    a.get("source", "admin"),
                    a.get("created_at"),
                    a.get("retired_at"),
                    int(count),
                )
            )
    return sorted(out, key=lambda a: (a.retired_at is not None, a.name.lower()))


async def define(db: Database, tenant: Tenant, name: str, type_: str, *, actor: Actor) -> None:
    name = name.strip()
    tenants.check_custom_attribute(name, type_)
    async with db.write() as conn:
        locked = await tenant_store.lock_tenant(conn, tenant.id)
        retired = next(
            (
                a
                for a in locked.custom_attributes
                if a["name"].lower() == name.lower() and a.get("retired_at")
            ),
            None,
        )
        if retired is not None:
            if retired["type"] != type_:
                raise invalid(
                    f"{retired['name']} was retired as a {retired['type']}; bring it back "
                    f"with that type, or choose another name",
                    "type",
                )
            updated = [
                {k: v for k, v in a.items() if k != "retired_at"} if a is retired else a
                for a in locked.custom_attributes
            ]
            await tenant_store.update_tenant(conn, tenant.id, custom_attributes=updated)
            await _audit(conn, tenant, actor, "attribute.restore", {"name": retired["name"]})
            return
    await tenants.add_custom_attribute(db, tenant.subdomain, name, type_, actor=actor)


async def retire(db: Database, tenant: Tenant, name: str, *, actor: Actor) -> None:
    async with db.write() as conn:
        locked = await tenant_store.lock_tenant(conn, tenant.id)
        found = False
        updated: list[dict[str, Any]] = []
        for a in locked.custom_attributes:
            if a["name"] == name and not a.get("retired_at"):
                a = {**a, "retired_at": utcnow().isoformat()}
                found = True
            updated.append(a)
        if not found:
            raise not_found(f"no custom attribute {name!r} in use")
        await tenant_store.update_tenant(conn, tenant.id, custom_attributes=updated)
        await _audit(conn, tenant, actor, "attribute.retire", {"name": name})


async def _audit(conn: Any, tenant: Tenant, actor: Actor, action: str, changes: Any) -> None:
    await record_change(conn, tenant.id, actor, action, "Attribute", None, changes=changes)
