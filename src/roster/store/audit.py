"""The audit trail: append-only; no API updates or deletes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.ids import new_id
from roster.store.prepared import Prepared, value_args, value_binds
from roster.store.provisioning_log import id_floor
from roster.store.tables import audit_events
from roster.store.types import utcnow

_COLUMNS = (
    "tenant_id",
    "id",
    "at",
    "actor",
    "action",
    "resource_type",
    "resource_id",
    "request_id",
    "request",
    "changes",
    "notes",
)
_INSERT = Prepared(audit_events.insert().values(value_binds(audit_events, _COLUMNS)))


async def record(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    actor: str,
    action: str,
    resource_type: str,
    resource_id: str | None,
    request_id: str | None = None,
    request: Any = None,
    changes: Any = None,
    notes: Any = None,
) -> None:
    values = {
        "tenant_id": tenant_id,
        "id": new_id(),
        "at": utcnow(),
        "actor": actor,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "request_id": request_id,
        "request": request,
        "changes": changes,
        "notes": notes or None,
    }
    await _INSERT.execute(conn, **value_args(values))


async def record_many(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Many audit rows in one statement per thousand (each row: the columns of
    `record` but id and time, which are given here)."""
    now = utcnow()
    for start in range(0, len(rows), 1000):
        chunk = [
            {"id": new_id(), "at": now, "request": None, **row}
            for row in rows[start : start + 1000]
        ]
        await conn.execute(audit_events.insert(), chunk)


async def events_for(
    conn: AsyncConnection, tenant_id: int, resource_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = sa.select(audit_events).where(audit_events.c.tenant_id == tenant_id)
    if resource_id is not None:
        query = query.where(audit_events.c.resource_id == resource_id)
    query = query.order_by(audit_events.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def events_of_request(
    conn: AsyncConnection, tenant_id: int, resource_id: str, request_id: str
) -> list[dict[str, Any]]:
    """What one request did to one resource (the resource's index, then its request)."""
    query = (
        sa.select(audit_events)
        .where(
            audit_events.c.tenant_id == tenant_id,
            audit_events.c.resource_id == resource_id,
            audit_events.c.request_id == request_id,
        )
        .order_by(audit_events.c.id)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def recent_notes(
    conn: AsyncConnection,
    tenant_id: int,
    since: datetime,
    *,
    actor_prefix: str,
    containing: str,
    limit: int,
) -> list[dict[str, Any]]:
    """The newest changes since `since` by actors named `actor_prefix...` (the identity
    provider's tokens) with a note containing `containing`: a range of the primary key
    (ids are time-ordered), newest first, at most `limit`. The notes are matched in
    their JSON text, which both databases give for a cast."""
    query = (
        sa.select(
            audit_events.c.id,
            audit_events.c.at,
            audit_events.c.resource_type,
            audit_events.c.resource_id,
            audit_events.c.request_id,
            audit_events.c.notes,
        )
        .where(
            audit_events.c.tenant_id == tenant_id,
            audit_events.c.id >= id_floor(since),
            audit_events.c.actor.startswith(actor_prefix, autoescape=True),
            sa.cast(audit_events.c.notes, sa.Text).contains(containing, autoescape=True),
        )
        .order_by(audit_events.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]
