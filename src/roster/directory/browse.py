"""Manage People for the console: search and keyset paging, one person's whole
picture (attributes, manager, reports, groups, history), and the fields Roster owns
(timezone) that an admin may edit while the identity provider owns the rest."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from roster.directory import people_table
from roster.directory.audit import record_change
from roster.directory.people import Actor
from roster.model.errors import DirectoryError, invalid, not_found
from roster.store import audit as audit_store
from roster.store import people as people_store
from roster.store import people_browse as store
from roster.store import person_views as view_store
from roster.store import provisioning_log as log_store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.tenants import Tenant, TokenRecord
from roster.store.types import utcnow

# Manage People's table moved to people_table.py; the manager picker reads it here.
PAGE_SIZES = people_table.PAGE_SIZES
PeoplePage = people_table.PeoplePage
browse_people = people_table.browse_people


@dataclass
class Profile:
    person: dict[str, Any]
    manager: dict[str, Any] | None
    reports: list[dict[str, Any]]
    report_count: int
    groups: list[dict[str, Any]]
    history: list[dict[str, Any]]  # audit events, newest first
    requests: list[dict[str, Any]]  # provisioning log entries, newest first


async def profile(db: Database, tenant: Tenant, person_id: str) -> Profile:
    async with db.read() as conn:
        person = await people_store.get_any_person(conn, tenant.id, person_id)
        if person is None:
            raise not_found(f"no person {person_id} in this company")
        manager = None
        if person["manager_id"]:
            manager = (await view_store.managers(conn, tenant.id, [person["manager_id"]])).get(
                person["manager_id"]
            )
        reports = await store.reports_of(conn, tenant.id, person_id, limit=50)
        report_count = await store.count_reports(conn, tenant.id, person_id)
        groups = (await view_store.groups_of(conn, tenant.id, [person_id]))[person_id]
        history = await audit_store.events_for(conn, tenant.id, person_id, limit=50)
        requests = await log_store.list_entries(conn, tenant.id, limit=50, resource_id=person_id)
    return Profile(person, manager, reports, report_count, groups, history, requests)


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


async def set_timezone(
    db: Database, tenant: Tenant, person_id: str, timezone: str | None, *, actor: Actor
) -> None:
    """Timezone is Roster's: SCIM never sets it, so an admin may, SCIM on or off."""
    value = (timezone or "").strip() or None
    if value is not None and value not in timezones():
        raise invalid(f"{value!r} is not a timezone name (e.g. America/New_York)", "timezone")
    async with db.write() as conn:
        person = await people_store.get_person(conn, tenant.id, person_id, for_update=True)
        if person is None:
            raise not_found(f"no person {person_id} in this company")
        if person["timezone"] == value:
            return
        updated = await people_store.update_person(
            conn,
            tenant.id,
            person_id,
            {"timezone": value, "updated_at": utcnow()},
            expected_version=person["version"],
        )
        if not updated:
            raise DirectoryError("precondition", "the person changed meanwhile; try again")
        await record_change(
            conn,
            tenant.id,
            actor,
            "person.timezone",
            "User",
            person_id,
            changes={"timezone": [person["timezone"], value]},
            resource=updated,
        )


@dataclass(frozen=True)
class Overview:
    """The console's first page: how many people are in each state, the live tokens."""

    active: int
    deactivated: int
    unlinked: int  # active, but the identity provider has not linked them yet
    tokens: list[TokenRecord]


async def overview(db: Database, tenant: Tenant) -> Overview:
    async with db.read() as conn:
        counts = [
            await store.count(conn, store.conditions(tenant.id, **f))
            for f in (
                {"status": "active"},
                {"status": "deactivated"},
                {"status": "active", "linked": "no"},
            )
        ]
        tokens = [t for t in await tenant_store.list_tokens(conn, tenant.id) if not t.revoked_at]
    active, deactivated, unlinked = counts
    return Overview(active, deactivated, unlinked, tokens)
