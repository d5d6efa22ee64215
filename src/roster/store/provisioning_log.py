"""The provisioning log: one row per SCIM request. SQL only; every function takes the
tenant. Ids are time-ordered (UUID v7), so "newest first" and "older than" are id
comparisons on the primary key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.store.prepared import copy_rows
from roster.store.tables import provisioning_hours as hours
from roster.store.tables import provisioning_log as log

Entry = dict[str, Any]
FAILURE = log.c.status >= 400


def id_floor(at: datetime) -> str:
    """The smallest time-ordered id that can be made at `at` (for range scans)."""
    ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    return str(uuid.UUID(int=ms << 80))


async def insert_entries(conn: AsyncConnection, rows: Sequence[Entry]) -> None:
    await copy_rows(conn, log, rows)


def hour_of(at: datetime) -> int:
    """An hour as provisioning_hours keys it: whole hours since 1970-01-01 UTC."""
    return int(at.timestamp()) // 3600


async def add_to_hours(conn: AsyncConnection, rows: Sequence[Entry]) -> None:
    """Count entries into their companies' hours (one statement, any number of rows)."""
    counts: dict[tuple[int, int], list[int]] = {}
    for row in rows:
        count = counts.setdefault((row["tenant_id"], hour_of(row["at"])), [0, 0])
        count[0] += 1
        count[1] += row["status"] >= 400
    if not counts:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(hours).values(
        [
            {"tenant_id": t, "hour": h, "requests": n, "failures": f}
            for (t, h), (n, f) in sorted(counts.items())  # one lock order for every writer
        ]
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[hours.c.tenant_id, hours.c.hour],
            set_={
                "requests": hours.c.requests + statement.excluded.requests,
                "failures": hours.c.failures + statement.excluded.failures,
            },
        )
    )


async def hourly_counts(
    conn: AsyncConnection, tenant_id: int, first_hour: int
) -> dict[int, tuple[int, int]]:
    """(requests, failures) by hour from `first_hour` on; hours with none are absent."""
    rows = await conn.execute(
        sa.select(hours.c.hour, hours.c.requests, hours.c.failures).where(
            hours.c.tenant_id == tenant_id, hours.c.hour >= first_hour
        )
    )
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


def _conditions(
    tenant_id: int,
    *,
    outcome: str | None = None,
    status: int | None = None,
    method: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [log.c.tenant_id == tenant_id]
    if outcome == "failures":
        where.append(FAILURE)
    elif outcome == "success":
        where.append(log.c.status < 400)
    if status is not None:
        where.append(log.c.status == status)
    if method:
        where.append(log.c.method == method.upper())
    if resource_type:
        where.append(log.c.resource_type == resource_type)
    if resource_id:
        where.append(log.c.resource_id == resource_id)
    if since is not None:
        where.append(log.c.id >= id_floor(since))
    if until is not None:
        where.append(log.c.id < id_floor(until))
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        where.append(
            sa.or_(
                sa.func.lower(log.c.path).like(pattern, escape="\\"),
                sa.func.lower(sa.func.coalesce(log.c.error_detail, "")).like(pattern, escape="\\"),
                log.c.resource_id == text,
                log.c.request_id == text,
            )
        )
    return where


async def list_entries(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    limit: int,
    failures_first: bool = False,
    after: tuple[int, str] | None = None,
    **filters: Any,
) -> list[Entry]:
    """Newest first, or failures first then newest. `after` is the (bucket, id) of the
    last row of the previous page (keyset paging: no OFFSET)."""
    bucket = sa.case((FAILURE, 0), else_=1) if failures_first else sa.literal(0)
    query = sa.select(log, bucket.label("bucket")).where(*_conditions(tenant_id, **filters))
    if after is not None:
        last_bucket, last_id = after
        if failures_first:
            query = query.where(
                sa.or_(bucket > last_bucket, sa.and_(bucket == last_bucket, log.c.id < last_id))
            )
        else:
            query = query.where(log.c.id < last_id)
    order = [bucket, log.c.id.desc()] if failures_first else [log.c.id.desc()]
    rows = await conn.execute(query.order_by(*order).limit(limit))
    return [dict(r._mapping) for r in rows]


async def count_entries(conn: AsyncConnection, tenant_id: int, **filters: Any) -> int:
    query = sa.select(sa.func.count()).select_from(log).where(*_conditions(tenant_id, **filters))
    return int((await conn.execute(query)).scalar_one())


async def get_entry(conn: AsyncConnection, tenant_id: int, entry_id: str) -> Entry | None:
    row = (
        await conn.execute(sa.select(log).where(log.c.tenant_id == tenant_id, log.c.id == entry_id))
    ).first()
    return dict(row._mapping) if row else None


async def status_counts(conn: AsyncConnection, tenant_id: int, since: datetime) -> dict[int, int]:
    rows = await conn.execute(
        sa.select(log.c.status, sa.func.count())
        .where(log.c.tenant_id == tenant_id, log.c.id >= id_floor(since))
        .group_by(log.c.status)
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def last_entry_at(conn: AsyncConnection, tenant_id: int) -> datetime | None:
    value = (
        await conn.execute(sa.select(sa.func.max(log.c.at)).where(log.c.tenant_id == tenant_id))
    ).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


async def purge_before(conn: AsyncConnection, tenant_id: int, cutoff: datetime) -> int:
    result = await conn.execute(
        log.delete().where(log.c.tenant_id == tenant_id, log.c.id < id_floor(cutoff))
    )
    # An hour's counts go with the last of its rows.
    await conn.execute(
        hours.delete().where(hours.c.tenant_id == tenant_id, hours.c.hour < hour_of(cutoff))
    )
    return int(result.rowcount or 0)
