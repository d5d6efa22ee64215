"""Tombstones: SCIM DELETE keeps the person as a tombstone (404 from then on, their
groups left, their sessions ended, their reports moved), and an admin restores one,
unless someone else has taken their userName or email meanwhile.
"""

from __future__ import annotations

from roster.directory import people
from roster.directory.audit import Actor, record_change
from roster.directory.email_uniqueness import refuse_taken_emails
from roster.directory.groups import record_member_gone
from roster.directory.person_values import conflict_detail
from roster.model.errors import DirectoryError, conflict, not_found
from roster.model.versions import Precondition
from roster.store import manager_links
from roster.store import people as store
from roster.store import sessions as session_store
from roster.store.db import Database
from roster.store.people import Person
from roster.store.tenants import Tenant
from roster.store.types import utcnow


async def delete_person(
    db: Database,
    tenant: Tenant,
    person_id: str,
    *,
    actor: Actor,
    condition: Precondition | None = None,
) -> None:
    """SCIM DELETE: a tombstone. 404 from then on; the data stays, an admin can restore."""
    async with db.write() as conn:
        person = await store.get_person(conn, tenant.id, person_id, for_update=True)
        if person is None:
            raise not_found(f"User {person_id} not found")
        if condition is not None:
            condition.check_write("User", person_id, person["version"])
        deleted_at = utcnow()
        left = await store.set_deleted(conn, tenant.id, person_id, deleted_at)
        await record_member_gone(conn, tenant, actor, person_id, left)
        await session_store.delete_subject_sessions(conn, tenant.id, "person", person_id)
        new_manager = person["manager_id"] if tenant.setting("reassign_reporters") else None
        moved = await manager_links.reassign_reports(conn, tenant.id, person_id, new_manager)
        notes = [f"{len(moved)} direct report(s) moved"] if moved else []
        await people.record_moved(conn, tenant, actor, moved, person_id)
        await record_change(
            conn,
            tenant.id,
            actor,
            "person.delete",
            "User",
            person_id,
            changes={"deleted": [False, True]},
            notes=notes,
            resource={**person, "deleted_at": deleted_at},
        )


async def restore_person(db: Database, tenant: Tenant, person_id: str, *, actor: Actor) -> Person:
    async with db.write() as conn:
        person = await store.get_any_person(conn, tenant.id, person_id)
        if person is None:
            raise not_found(f"no person {person_id} in {tenant.subdomain}")
        if person["deleted_at"] is None:
            raise conflict(f"person {person_id} is not deleted")
        holders = await store.holder_of(
            conn, tenant.id, user_name=person["user_name"], email=person["email"]
        )
        if holders:
            raise conflict(
                "cannot restore: "
                + conflict_detail(holders[0], user_name=person["user_name"], email=person["email"])
            )
        try:
            await refuse_taken_emails(conn, tenant, person, None)
        except DirectoryError as refusal:
            raise conflict(f"cannot restore: {refusal.message}", "emails") from None
        await store.restore(conn, tenant.id, person_id, utcnow())
        restored = await store.get_person(conn, tenant.id, person_id)
        assert restored is not None
        await record_change(
            conn,
            tenant.id,
            actor,
            "person.restore",
            "User",
            person_id,
            changes={"deleted": [True, False]},
            resource=restored,
        )
        return restored
