"""Writing a checked CSV plan, inside the caller's write transaction: people inserted
and updated with batched statements, one audit row per person, welcome emails queued,
people already waiting for a manager who arrived in this file linked, and fresh planner
statistics after a bulk load on PostgreSQL. The caller (csv_import.apply) has refused
the file if any row was rejected, so this writes every row or, failing, none.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.audit import Actor, jsonable, record_changes
from roster.directory.csv_matching import ManagerReferences
from roster.directory.csv_plan import Plan, Progress
from roster.directory.outbox import queue_welcome
from roster.model.person import REPLACEABLE
from roster.store import person_values, statistics
from roster.store import tenants as tenant_store
from roster.store.people import LIVE
from roster.store.tables import people
from roster.store.tenants import Tenant
from roster.store.types import utcnow

CHUNK = 1000  # rows per batched INSERT or UPDATE
ANALYZE_AT = 5000


async def write_plan(
    conn: AsyncConnection, tenant: Tenant, plan: Plan, actor: Actor, progress: Progress | None
) -> None:
    total = len(plan.creates) + len(plan.updates)
    done = 0
    now = utcnow()
    audit: list[tuple[str, str, str | None, Any, dict[str, Any]]] = []
    if plan.creates:
        first = await tenant_store.allocate_person_numbers(conn, tenant.id, len(plan.creates))
        for i, row in enumerate(plan.creates):
            row["number"] = first + i
        for start in range(0, len(plan.creates), CHUNK):
            chunk = plan.creates[start : start + CHUNK]
            await conn.execute(people.insert(), chunk)
            await person_values.insert_rows(
                conn, [v for row in chunk for v in person_values.rows_for(tenant.id, row)]
            )
            done += len(chunk)
            if progress:
                progress("write", done, total)
        audit.extend(
            (
                "person.create",
                "User",
                row["id"],
                {k: jsonable(row[k]) for k in _AUDITED if row[k] is not None},
                row,
            )
            for row in plan.creates
        )
        await queue_welcome(conn, tenant, plan.creates)
    if len(plan.creates) + len(plan.updates) >= ANALYZE_AT:
        # The per-row updates below, and SCIM's lookups after the commit, probe the
        # primary key only if the planner knows the table is no longer nearly empty.
        await statistics.analyze(conn, ["people", "person_values"])
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for person, changes in plan.updates:
        params = {**changes, "_id": person["id"], "_version": person["version"] + 1}
        groups.setdefault(tuple(sorted(changes)), []).append(params)
        audit.append(
            (
                "person.update",
                "User",
                person["id"],
                {k: [jsonable(person.get(k)), jsonable(v)] for k, v in changes.items()},
                {**person, **changes, "version": person["version"] + 1, "updated_at": now},
            )
        )
    for columns, rows in groups.items():
        statement = (
            people.update()
            .where(people.c.tenant_id == tenant.id, people.c.id == sa.bindparam("_id"))
            .values(
                {
                    **{c: sa.bindparam(c) for c in columns},
                    "version": sa.bindparam("_version"),
                    "updated_at": now,
                }
            )
        )
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            await conn.execute(statement, chunk)
            await person_values.replace_many(
                conn, tenant.id, [{**row, "id": row["_id"]} for row in chunk]
            )
            done += len(chunk)
            if progress:
                progress("write", done, total)
    await _link_waiting_reports(conn, tenant, plan)
    await record_changes(conn, tenant.id, actor, audit, notes=["CSV import"])
    if progress:
        progress("write", total, total)


# What a created person's audit row shows: the scalar fields (emails repeat email).
_AUDITED = [f for f in REPLACEABLE if f not in ("emails", "phone_numbers")] + ["user_name"]


async def _link_waiting_reports(conn: AsyncConnection, tenant: Tenant, plan: Plan) -> None:
    """People (already in Roster) waiting for a manager who arrived in this file."""
    if not plan.creates:
        return
    resolver = ManagerReferences()
    for row in plan.creates:
        resolver.add(row["id"], row["number"], row["email"], row.get("employee_number"))
    waiting = await conn.execute(
        sa.select(people.c.id, people.c.manager_pending).where(
            people.c.tenant_id == tenant.id, LIVE, people.c.manager_pending.is_not(None)
        )
    )
    links = [
        {"_id": r.id, "_manager": target}
        for r in waiting
        if (target := resolver.resolve(r.manager_pending)) is not None and target != r.id
    ]
    if links:
        await conn.execute(
            people.update()
            .where(people.c.tenant_id == tenant.id, people.c.id == sa.bindparam("_id"))
            .values(
                manager_id=sa.bindparam("_manager"),
                manager_pending=None,
                manager_pending_as_sent=None,
                version=people.c.version + 1,
                updated_at=utcnow(),
            ),
            links,
        )
