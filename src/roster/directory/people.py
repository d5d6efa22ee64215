"""People: creation, replacement, deactivation, managers, linking.

One transaction per operation, an audit row per write. SCIM, the console, CSV import
and the CLI all come through here, so a rule lives in one place. What a write stores is
worked out in person_values.py, which emails are taken in email_uniqueness.py; reading
people (one, or a page) is person_views.py; tombstones (SCIM DELETE, restore) are
tombstones.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory import audit
from roster.directory.audit import Actor as Actor  # re-exported: callers name it here
from roster.directory.audit import diff, jsonable
from roster.directory.email_uniqueness import refuse_taken_emails, refuse_taken_keys
from roster.directory.outbox import queue_welcome
from roster.directory.person_values import (
    conflict_detail,
    field_values,
    keeps_passwords,
    manager_values,
    password_values,
    register_custom_attributes,
)
from roster.directory.person_views import PersonView
from roster.model.errors import DirectoryError, conflict, forbidden, not_found
from roster.model.person import REPLACEABLE, PersonInput
from roster.model.versions import Precondition
from roster.store import manager_links
from roster.store import people as store
from roster.store import person_views as view_store
from roster.store import sessions as session_store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.people import Person
from roster.store.tenants import Tenant
from roster.store.types import utcnow

SOURCES = ("scim", "console", "csv", "cli")


@dataclass
class Written:
    person: Person
    created: bool
    linked: bool = False
    # The person as shown (person, groups, manager), when the write already knows it:
    # the response then needs no read of its own.
    view: PersonView | None = None


def _keys(values: dict[str, Any]) -> dict[str, Any]:
    return {"user_name": values["user_name"], "email": values["email"]}


async def record_moved(
    conn: AsyncConnection, tenant: Tenant, actor: Actor, moved: list[Person], from_id: str
) -> None:
    """Each moved report is a change of its own (audit row, person.updated and
    person.manager_changed events): downstream hears that their manager changed."""
    await audit.record_changes(
        conn,
        tenant.id,
        actor,
        [
            (
                "person.update",
                "User",
                report["id"],
                {"manager_id": [from_id, report["manager_id"]]},
                report,
            )
            for report in moved
        ],
        notes=[f"direct report of {from_id}, who was deactivated or deleted"],
    )


async def _audit(
    conn: AsyncConnection,
    tenant: Tenant,
    actor: Actor,
    action: str,
    person_id: str,
    *,
    request: Any,
    changes: Any,
    notes: Sequence[str] = (),
    person: Person | None = None,
) -> None:
    await audit.record_change(
        conn,
        tenant.id,
        actor,
        action,
        "User",
        person_id,
        request=request,
        changes=changes,
        notes=notes,
        resource=person,
    )


async def create_person(
    db: Database,
    tenant: Tenant,
    data: PersonInput,
    *,
    actor: Actor,
    source: str,
    request: Any = None,
) -> Written:
    if source != "scim" and source != "csv" and tenant.scim_enabled:
        raise forbidden(
            "people are created by the identity provider while SCIM is on: assign the person "
            "to Roster in the IdP (manual creation is off)"
        )
    password = await password_values(tenant, data)
    values = field_values(data)
    try:
        async with db.write() as conn:
            holders = await store.holder_of(
                conn, tenant.id, user_name=values["user_name"], email=values["email"]
            )
            if holders:
                target = holders[0]
                linkable = (
                    source == "scim"
                    and len(holders) == 1
                    and tenant.setting("link_existing_people")
                    and target["active"]
                    and target["idp_linked_at"] is None
                    and target["source"] != "scim"
                )
                if not linkable:
                    raise conflict(conflict_detail(target, **_keys(values)))
                await refuse_taken_emails(conn, tenant, values, target)
                # Linking keeps the person's data: only what the IdP sends is written.
                kept = {k: v for k, v in values.items() if v not in (None, [], {})}
                kept["custom"] = {**(target["custom"] or {}), **data.custom}
                linked_person = await _apply_update(
                    conn,
                    tenant,
                    target,
                    data,
                    kept,
                    password,
                    actor=actor,
                    action="person.link",
                    request=request,
                )
                return Written(linked_person, created=True, linked=True)
            await refuse_taken_emails(conn, tenant, values, None)
            await register_custom_attributes(conn, tenant, data)
            person_id = new_id()
            now = utcnow()
            manager = await manager_values(conn, tenant, data, person_id)
            # Last before the insert: the company row stays locked from here to commit.
            number = await tenant_store.allocate_person_numbers(conn, tenant.id, 1)
            row = {
                **{f: None for f in REPLACEABLE},
                "emails": [],
                "phone_numbers": [],
                "active": True,
                **values,
                **password,
                **manager,
                "tenant_id": tenant.id,
                "id": person_id,
                "number": number,
                "source": source,
                "idp_linked_at": now if source == "scim" else None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            person = await store.insert_person(conn, row)
            # A new person is in no group; with no manager, that is the whole view.
            view: PersonView | None = None if person["manager_id"] else (person, [], None)
            linked = await manager_links.link_pending_reports(conn, tenant.id, person)
            if linked:
                data.notes.append(f"linked as manager of {len(linked)} waiting report(s)")
            if await queue_welcome(conn, tenant, [person]):
                data.notes.append("welcome email queued")
            changes = {k: jsonable(v) for k, v in values.items() if v not in (None, [], {})}
            await _audit(
                conn,
                tenant,
                actor,
                "person.create",
                person_id,
                request=request,
                changes=changes,
                notes=data.notes,
                person=person,
            )
            return Written(person, created=True, view=view)
    except IntegrityError:
        # Lost a race with a concurrent create of the same userName or email.
        async with db.read() as conn:
            holders = await store.holder_of(
                conn, tenant.id, user_name=values["user_name"], email=values["email"]
            )
        if holders:
            raise conflict(conflict_detail(holders[0], **_keys(values))) from None
        raise


async def _apply_update(
    conn: AsyncConnection,
    tenant: Tenant,
    person: Person,
    data: PersonInput,
    values: dict[str, Any],
    password: dict[str, Any],
    *,
    actor: Actor,
    action: str,
    request: Any,
) -> Person:
    await register_custom_attributes(conn, tenant, data)
    updates = {**values, **await manager_values(conn, tenant, data, person["id"])}
    changes = diff(person, updates)
    if password:
        changes["password"] = ["[REDACTED]", "[REDACTED]"]
    now = utcnow()
    # A person who existed before SCIM becomes the IdP's on its first write that carries
    # an externalId (Okta's and Entra's id for them).
    linking = actor.is_idp and person["idp_linked_at"] is None and bool(updates.get("external_id"))
    if linking:
        changes["idp_linked_at"] = [None, now.isoformat()]
    if not changes:
        # Nothing to write (Okta repeats unchanged PUTs often); what was ignored is
        # still noted, so an admin can see an attribute that never lands.
        if data.notes:
            await _audit(
                conn,
                tenant,
                actor,
                action,
                person["id"],
                request=request,
                changes=None,
                notes=data.notes,
            )
        return person
    row = {k: v for k, v in updates.items() if k in changes}
    row.update(password)
    if linking:
        row["idp_linked_at"] = now
    row["updated_at"] = now
    updated = await store.update_person(
        conn, tenant.id, person["id"], row, expected_version=person["version"]
    )
    if updated is None:
        raise DirectoryError(
            "precondition", f"person {person['id']} changed meanwhile; read it and try again"
        )
    if person["active"] and not updated["active"]:
        # A deactivated person is signed out everywhere at once.
        await session_store.delete_subject_sessions(conn, tenant.id, "person", person["id"])
    if person["active"] and not updated["active"] and tenant.setting("reassign_reporters"):
        moved = await manager_links.reassign_reports(
            conn, tenant.id, person["id"], updated["manager_id"]
        )
        if moved:
            data.notes.append(f"moved {len(moved)} direct report(s) to this person's manager")
            await record_moved(conn, tenant, actor, moved, person["id"])
    if any(k in changes for k in ("email", "employee_number")):
        linked = await manager_links.link_pending_reports(conn, tenant.id, updated)
        if linked:
            data.notes.append(f"linked as manager of {len(linked)} waiting report(s)")
    await _audit(
        conn,
        tenant,
        actor,
        action,
        person["id"],
        request=request,
        changes=changes,
        notes=data.notes,
        person=updated,
    )
    return updated


InputFor = Callable[[Person], Awaitable[PersonInput]]


async def update_person(
    db: Database,
    tenant: Tenant,
    person_id: str,
    make_input: InputFor,
    *,
    actor: Actor,
    action: str,
    request: Any = None,
    condition: Precondition | None = None,
) -> Written:
    """Replace a person with what `make_input` computes from their current record
    (PUT ignores it; PATCH applies operations to it)."""
    try:
        async with db.write() as conn:
            shown = await view_store.get_person_view(conn, tenant.id, person_id, for_update=True)
            if shown is None:
                raise not_found(f"User {person_id} not found")
            person, groups, manager = shown
            if condition is not None:
                condition.check_write("User", person_id, person["version"])
            data = await make_input(person)
            values = field_values(data)
            if "active" not in data.fields:
                values.pop("active", None)
            await refuse_taken_keys(conn, tenant, values, person)
            current_hash = (
                await store.password_hash(conn, tenant.id, person_id)
                if data.password is not None and keeps_passwords(tenant)
                else None
            )
            password = await password_values(tenant, data, current_hash)
            updated = await _apply_update(
                conn,
                tenant,
                person,
                data,
                values,
                password,
                actor=actor,
                action=action,
                request=request,
            )
            # A User's groups are not changed by a write to the User; its manager's
            # name is known unless the manager changed.
            same_manager = updated["manager_id"] == person["manager_id"]
            view = (updated, groups, manager) if same_manager else None
            return Written(updated, created=False, view=view)
    except IntegrityError:
        raise conflict(
            f"User {person_id}: the new userName or email was taken by a concurrent request"
        ) from None
