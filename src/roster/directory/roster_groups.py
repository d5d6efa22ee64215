"""Groups in the console: the list, a group's members, and editing Roster's own groups
(name, members). Groups pushed by the identity provider are its to change; only their
type (Roster's classification) is edited here, by set_group_type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from roster.directory.audit import record_change
from roster.directory.people import Actor
from roster.model.errors import forbidden, invalid, not_found
from roster.store import audit as audit_store
from roster.store import groups as store
from roster.store import groups_browse as browse_store
from roster.store import manager_links
from roster.store.db import Database
from roster.store.groups import Group
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow

MEMBERS_SHOWN = 200
GROUP_TYPES = ("Groups", "Departments", "Teams", "Locations", "Offices")


@dataclass
class GroupsPage:
    groups: list[dict[str, Any]]
    next_after: str | None
    total: int


def _encode(row: dict[str, Any]) -> str:
    return f"{row['id']}:{row['display_name_lower']}"


def _decode(value: str | None) -> tuple[str, str] | None:
    if not value or ":" not in value:
        return None
    gid, _, name = value.partition(":")
    return name, gid


async def list_page(
    db: Database,
    tenant: Tenant,
    *,
    q: str | None = None,
    source: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> GroupsPage:
    async with db.read() as conn:
        rows = await browse_store.page(
            conn, tenant.id, q=q, source=source, after=_decode(after), limit=limit + 1
        )
        total = await browse_store.count(conn, tenant.id)
    more = len(rows) > limit
    rows = rows[:limit]
    return GroupsPage(rows, _encode(rows[-1]) if more and rows else None, total)


@dataclass
class GroupDetail:
    group: Group
    members: list[dict[str, Any]]
    member_count: int
    history: list[dict[str, Any]]


async def detail(db: Database, tenant: Tenant, group_id: str) -> GroupDetail:
    async with db.read() as conn:
        group = await store.get_group(conn, tenant.id, group_id)
        if group is None:
            raise not_found(f"no group {group_id} in this company")
        members = await browse_store.members(conn, tenant.id, group_id, MEMBERS_SHOWN)
        count = (await store.member_counts(conn, tenant.id, [group_id])).get(group_id, 0)
        history = await audit_store.events_for(conn, tenant.id, group_id, limit=30)
    return GroupDetail(group, members, count, history)


def _roster_owned(group: Group) -> None:
    if group["source"] != "roster":
        raise forbidden(
            f"{group['display_name']!r} is pushed by the identity provider: change its name "
            "and members there (its type is Roster's to set)"
        )


async def rename(db: Database, tenant: Tenant, group_id: str, name: str, *, actor: Actor) -> None:
    name = name.strip()
    if not name or len(name) > 400:
        raise invalid("a group name is 1 to 400 characters", "name")
    async with db.write() as conn:
        group = await store.get_group(conn, tenant.id, group_id, for_update=True)
        if group is None:
            raise not_found(f"no group {group_id} in this company")
        _roster_owned(group)
        if group["display_name"] == name:
            return
        renamed = await store.update_group(
            conn,
            tenant.id,
            group_id,
            {"display_name": name, "display_name_lower": name.lower(), "updated_at": utcnow()},
        )
        await _audit(
            conn,
            tenant,
            actor,
            "group.rename",
            renamed or group,
            {"display_name": [group["display_name"], name]},
        )


async def add_member(
    db: Database, tenant: Tenant, group_id: str, reference: str, *, actor: Actor
) -> None:
    """Add a person by email, employee number or id."""
    async with db.write() as conn:
        group = await store.get_group(conn, tenant.id, group_id, for_update=True)
        if group is None:
            raise not_found(f"no group {group_id} in this company")
        _roster_owned(group)
        person_id = await manager_links.resolve_reference(conn, tenant.id, reference.strip())
        if person_id is None:
            raise invalid(f"nobody in this company matches {reference.strip()!r}", "member")
        if added := await store.add_members(conn, tenant.id, group_id, [person_id]):
            touched = await store.update_group(conn, tenant.id, group_id, {"updated_at": utcnow()})
            await _audit(
                conn,
                tenant,
                actor,
                "group.members",
                touched or group,
                {"added": added},
                added=added,
            )


async def remove_member(
    db: Database, tenant: Tenant, group_id: str, person_id: str, *, actor: Actor
) -> None:
    async with db.write() as conn:
        group = await store.get_group(conn, tenant.id, group_id, for_update=True)
        if group is None:
            raise not_found(f"no group {group_id} in this company")
        _roster_owned(group)
        if removed := await store.remove_members(conn, tenant.id, group_id, [person_id]):
            touched = await store.update_group(conn, tenant.id, group_id, {"updated_at": utcnow()})
            await _audit(
                conn,
                tenant,
                actor,
                "group.members",
                touched or group,
                {"removed": removed},
                removed=removed,
            )


async def add_roster_group(
    db: Database, tenant: Tenant, name: str, group_type: str, *, actor: Actor
) -> Group:
    """A group created in Roster (console or CLI): Roster's to edit; Okta may import it."""
    name = name.strip()
    group_type = group_type.strip()
    if not name or len(name) > 400:
        raise invalid("a group name is 1 to 400 characters", "name")
    if not group_type or len(group_type) > 64:
        raise invalid("a group type is 1 to 64 characters (e.g. Groups, Departments, Teams)")
    async with db.write() as conn:
        group_id = new_id()
        now = utcnow()
        await store.insert_group(
            conn,
            {
                "tenant_id": tenant.id,
                "id": group_id,
                "display_name": name,
                "display_name_lower": name.lower(),
                "external_id": None,
                "group_type": group_type,
                "source": "roster",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            },
        )
        group = await store.get_group(conn, tenant.id, group_id)
        assert group is not None
        await _audit(
            conn,
            tenant,
            actor,
            "group.create",
            group,
            {"display_name": name, "group_type": group_type, "source": "roster"},
        )
        return group


async def set_group_type(
    db: Database, tenant: Tenant, group_id: str, group_type: str, *, actor: Actor
) -> Group:
    """Roster's classification of a group; SCIM never changes it."""
    group_type = group_type.strip()
    if not group_type or len(group_type) > 64:
        raise invalid("a group type is 1 to 64 characters (e.g. Groups, Departments, Teams)")
    async with db.write() as conn:
        group = await store.get_group(conn, tenant.id, group_id, for_update=True)
        if group is None:
            raise not_found(f"Group {group_id} not found")
        if group["group_type"] != group_type:
            retyped = await store.update_group(
                conn, tenant.id, group_id, {"group_type": group_type, "updated_at": utcnow()}
            )
            await _audit(
                conn,
                tenant,
                actor,
                "group.type",
                retyped or group,
                {"group_type": [group["group_type"], group_type]},
            )
        updated = await store.get_group(conn, tenant.id, group_id)
        assert updated is not None
        return updated


async def _audit(
    conn: Any,
    tenant: Tenant,
    actor: Actor,
    action: str,
    group: Group,
    changes: Any,
    *,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
) -> None:
    await record_change(
        conn,
        tenant.id,
        actor,
        action,
        "Group",
        group["id"],
        changes=changes,
        resource=group,
        members={"added": added, "removed": removed},
    )
