"""Groups as the identity provider pushes them: create or take over by name, rename,
membership, delete, and the reads its door serves. Roster's own groups, and the type
SCIM never changes, are in roster_groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory import audit
from roster.directory.audit import Actor, diff
from roster.model.errors import forbidden, invalid, not_found
from roster.model.group import GroupChange
from roster.model.person import UNSET
from roster.model.query import Order, Resolved
from roster.model.versions import Precondition
from roster.store import groups as store
from roster.store.db import Database
from roster.store.groups import Group
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow

DEFAULT_TYPE = "Groups"


@dataclass
class GroupWritten:
    group: Group
    created: bool
    taken_over: bool = False


async def _audit(
    conn: AsyncConnection,
    tenant: Tenant,
    actor: Actor,
    action: str,
    group_id: str,
    *,
    request: Any = None,
    changes: Any = None,
    notes: Sequence[str] = (),
    group: Group | None = None,
    members: dict[str, list[str]] | None = None,
) -> None:
    await audit.record_change(
        conn,
        tenant.id,
        actor,
        action,
        "Group",
        group_id,
        request=request,
        changes=changes,
        notes=notes,
        resource=group,
        members=members,
    )


def _counted(moved: dict[str, list[str]]) -> dict[str, int]:
    """The audit row counts members; the events name them."""
    return {k: len(v) for k, v in moved.items()}


async def _apply_membership(
    conn: AsyncConnection, tenant: Tenant, group_id: str, change: GroupChange
) -> dict[str, list[str]]:
    """Every step is checked before the first is applied; the transaction makes the
    whole request atomic. Returns the ids added and removed."""
    wanted = sorted({i for step in change.steps if step.kind != "remove" for i in step.ids})
    unknown = await store.unknown_people(conn, tenant.id, wanted)
    if unknown:
        raise invalid(
            f"members: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
            "people of this company; provision the user(s) first, then push the group again",
            "members",
        )
    moved: dict[str, list[str]] = {"added": [], "removed": []}
    for step in change.steps:
        if step.kind == "add":
            moved["added"] += await store.add_members(conn, tenant.id, group_id, step.ids)
        elif step.kind == "remove":
            moved["removed"] += await store.remove_members(conn, tenant.id, group_id, step.ids)
        else:
            added, removed = await store.replace_members(conn, tenant.id, group_id, step.ids)
            moved["added"] += added
            moved["removed"] += removed
    return moved


async def _idp_group(
    conn: AsyncConnection,
    tenant: Tenant,
    group_id: str,
    condition: Precondition | None,
    *,
    lock: bool,
) -> Group:
    """A group the identity provider may change, at the version the request expects."""
    group = await store.get_group(conn, tenant.id, group_id, for_update=lock)
    if group is None:
        raise not_found(f"Group {group_id} not found")
    _check_owned_by_idp(group)
    if condition is not None:
        condition.check_write("Group", group_id, group["version"])
    return group


def _check_owned_by_idp(group: Group) -> None:
    if group["source"] == "roster":
        raise forbidden(
            f"group {group['display_name']!r} was created in Roster and is edited there; "
            "the identity provider can import it but not change it"
        )


async def create_group(
    db: Database,
    tenant: Tenant,
    change: GroupChange,
    *,
    actor: Actor,
    request: Any = None,
) -> GroupWritten:
    """Okta's push: a new group, or, when one with exactly this name exists, that group
    taken over (its membership becomes the pushed one; its id and type are kept)."""
    name: str = change.display_name
    async with db.write() as conn:
        existing = await store.group_by_exact_name(conn, tenant.id, name)
        now = utcnow()
        if existing is not None:
            group_id = existing["id"]
            moved = await _apply_membership(conn, tenant, group_id, change)
            values: dict[str, Any] = {"source": "idp", "updated_at": now}
            if change.external_id is not UNSET:
                values["external_id"] = change.external_id
            group = await store.update_group(conn, tenant.id, group_id, values)
            await _audit(
                conn,
                tenant,
                actor,
                "group.takeover",
                group_id,
                request=request,
                changes={
                    **diff(existing, {"external_id": values.get("external_id"), "source": "idp"}),
                    **_counted(moved),
                },
                notes=[
                    f"pushed group matched existing {existing['group_type']!r} group by name",
                    *change.notes,
                ],
                group=group,
                members=moved,
            )
            if group is None:  # deleted by a concurrent request
                raise not_found(f"Group {group_id} not found")
            return GroupWritten(group, created=False, taken_over=True)
        group_id = new_id()
        await store.insert_group(
            conn,
            {
                "tenant_id": tenant.id,
                "id": group_id,
                "display_name": name,
                "display_name_lower": name.lower(),
                "external_id": None if change.external_id is UNSET else change.external_id,
                "group_type": DEFAULT_TYPE,
                "source": "idp",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            },
        )
        moved = await _apply_membership(conn, tenant, group_id, change)
        created = await store.get_group(conn, tenant.id, group_id)
        assert created is not None
        await _audit(
            conn,
            tenant,
            actor,
            "group.create",
            group_id,
            request=request,
            changes={"display_name": name, **_counted(moved)},
            notes=change.notes,
            group=created,
            members=moved,
        )
        return GroupWritten(created, created=True)


async def change_group(
    db: Database,
    tenant: Tenant,
    group_id: str,
    change: GroupChange,
    *,
    actor: Actor,
    action: str,
    request: Any = None,
    condition: Precondition | None = None,
) -> Group:
    """PATCH or PUT. A request that changes nothing (Okta's rename with every
    membership change) writes nothing.

    Adding or removing one member commutes with any other such change, so for those
    (Okta's and Entra's everyday shape) the group row is locked only by the version
    bump at the end: concurrent member changes of one big group do not queue behind
    each other's round trips. A replace (Push Now), a change of several members or a
    conditional request (If-Match, If-None-Match) locks the group first: those do not commute, and
    concurrent multi-row changes could deadlock."""
    exclusive = condition is not None or any(
        step.kind == "replace" or len(step.ids) > 1 for step in change.steps
    )
    try:
        async with db.write() as conn:
            group = await _idp_group(conn, tenant, group_id, condition, lock=exclusive)
            values: dict[str, Any] = {}
            if change.display_name is not UNSET and change.display_name != group["display_name"]:
                values["display_name"] = change.display_name
                values["display_name_lower"] = change.display_name.lower()
            if change.external_id is not UNSET and change.external_id != group["external_id"]:
                values["external_id"] = change.external_id
            moved = await _apply_membership(conn, tenant, group_id, change)
            if not values and not moved["added"] and not moved["removed"]:
                if change.notes:
                    # Nothing to write; what was not kept is still noted, as for people.
                    await _audit(
                        conn, tenant, actor, action, group_id, request=request, notes=change.notes
                    )
                return group
            changes: dict[str, Any] = diff(
                group, {k: v for k, v in values.items() if k in ("display_name", "external_id")}
            )
            changes.update({k: v for k, v in _counted(moved).items() if v})
            values["updated_at"] = utcnow()
            updated = await store.update_group(conn, tenant.id, group_id, values)
            if updated is None:  # deleted by a concurrent request
                raise not_found(f"Group {group_id} not found")
            await _audit(
                conn,
                tenant,
                actor,
                action,
                group_id,
                request=request,
                changes=changes,
                notes=change.notes,
                group=updated,
                members=moved,
            )
            return updated
    except IntegrityError:
        # A member added to a group that a concurrent request deleted.
        raise not_found(f"Group {group_id} not found") from None


async def record_member_gone(
    conn: AsyncConnection, tenant: Tenant, actor: Actor, person_id: str, group_ids: Sequence[str]
) -> None:
    """A deleted person has left these groups (in the deletion's transaction): each
    group changes version, so its ETag does, and says so as any membership change does
    (audit row, group.members_removed), so that nobody downstream keeps the member."""
    for group_id in group_ids:
        updated = await store.update_group(conn, tenant.id, group_id, {"updated_at": utcnow()})
        if updated is None:
            continue
        await _audit(
            conn,
            tenant,
            actor,
            "group.update",
            group_id,
            changes={"removed": 1},
            notes=["the member was deleted"],
            group=updated,
            members={"added": [], "removed": [person_id]},
        )


async def delete_group(
    db: Database,
    tenant: Tenant,
    group_id: str,
    *,
    actor: Actor,
    condition: Precondition | None = None,
) -> None:
    async with db.write() as conn:
        group = await _idp_group(conn, tenant, group_id, condition, lock=True)
        members = await store.member_ids(conn, tenant.id, group_id)
        await store.delete_group(conn, tenant.id, group_id)
        await _audit(
            conn,
            tenant,
            actor,
            "group.delete",
            group_id,
            group=group,
            changes={
                "deleted": {
                    "display_name": group["display_name"],
                    "external_id": group["external_id"],
                    "group_type": group["group_type"],
                    "members": members,
                }
            },
        )


async def get_group(db: Database, tenant: Tenant, group_id: str) -> Group:
    async with db.read() as conn:
        group = await store.get_group(conn, tenant.id, group_id)
    if group is None:
        raise not_found(f"Group {group_id} not found")
    return group


async def members_of(
    db: Database, tenant: Tenant, group_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    async with db.read() as conn:
        return await store.members_of(conn, tenant.id, group_ids)


@dataclass
class GroupPage:
    total: int
    groups: list[Group]
    members: dict[str, list[dict[str, Any]]] | None


async def list_groups(
    db: Database,
    tenant: Tenant,
    *,
    where: Resolved | None,
    order: Order,
    offset: int,
    limit: int,
    after_id: str | None = None,
    with_members: bool = True,
) -> GroupPage:
    """A page of groups: `where` a filter resolved against the registry, `order` by a
    field or by id."""
    async with db.read() as conn:
        total = await store.count_groups(conn, tenant.id, where=where)
        rows = (
            await store.list_groups(
                conn,
                tenant.id,
                where=where,
                order=order,
                offset=offset,
                limit=limit,
                after_id=after_id,
            )
            if limit > 0
            else []
        )
        members = (
            await store.members_of(conn, tenant.id, [g["id"] for g in rows])
            if with_members
            else None
        )
    return GroupPage(total, rows, members)
