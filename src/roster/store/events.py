"""The events outbox: a change's events are collected on its write transaction and
written as its last statements (`flush_pending`, called by `Database.write()` just
before the commit), numbered per company.

Why last: the company's next numbers come from its `event_sequences` row, and that row
lock is then held only for the commit, never while the transaction waits for another
lock (so it cannot join a deadlock), and numbers are handed out in commit order (a
reader that has seen number n never later finds a smaller one commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.prepared import Prepared, value_args, value_binds
from roster.store.tables import event_sequences, events

_PENDING = "roster.pending_events"


@dataclass(frozen=True)
class NewEvent:
    tenant_id: int
    id: str
    type: str
    occurred_at: datetime
    actor: str
    resource_type: str
    resource_id: str | None
    data: dict[str, Any]


def add_pending(conn: AsyncConnection, new: Sequence[NewEvent]) -> None:
    """Queue events on the write transaction of `conn` (written just before commit)."""
    if new:
        conn.info.setdefault(_PENDING, []).extend(new)


def discard_pending(conn: AsyncConnection) -> None:
    """The transaction ended without a commit: its events never happened."""
    sync = conn.sync_connection
    # A connection invalidated by a lost database took its events with it (the pool
    # clears a connection's info when it drops it), and reading `.info` now would make
    # SQLAlchemy reconnect synchronously, outside its greenlet: MissingGreenlet, a 500,
    # where the lost database must be a 503.
    if sync is None or sync.invalidated:
        return
    conn.info.pop(_PENDING, None)


def _numbers_upsert(database: str) -> Any:
    dialect = postgresql if database == "postgresql" else sqlite
    insert = dialect.insert(event_sequences).values(
        tenant_id=sa.bindparam("tenant_id", type_=sa.Integer),
        last_seq=sa.bindparam("count", type_=sa.BigInteger),
    )
    return insert.on_conflict_do_update(
        index_elements=[event_sequences.c.tenant_id],
        set_={"last_seq": event_sequences.c.last_seq + insert.excluded.last_seq},
    ).returning(event_sequences.c.last_seq)


# Both run in every write transaction that has events: prepared (store/prepared.py).
_TAKE_NUMBERS = Prepared(per_database=_numbers_upsert)
_COLUMNS = (
    "tenant_id",
    "seq",
    "id",
    "type",
    "occurred_at",
    "actor",
    "resource_type",
    "resource_id",
    "data",
)
_INSERT_ONE = Prepared(events.insert().values(value_binds(events, _COLUMNS)))


async def _take_numbers(conn: AsyncConnection, tenant_id: int, count: int) -> int:
    """The last of `count` new numbers for the company (row-locked until commit)."""
    return int(await _TAKE_NUMBERS.scalar(conn, tenant_id=tenant_id, count=count))


async def flush_pending(conn: AsyncConnection) -> int:
    """Write the transaction's queued events; returns how many."""
    pending: list[NewEvent] = conn.info.pop(_PENDING, [])
    if not pending:
        return 0
    by_company: dict[int, list[NewEvent]] = {}
    for e in pending:
        by_company.setdefault(e.tenant_id, []).append(e)
    for tenant_id, company_events in sorted(by_company.items()):
        last = await _take_numbers(conn, tenant_id, len(company_events))
        first = last - len(company_events) + 1
        rows = [
            {
                "tenant_id": tenant_id,
                "seq": first + i,
                "id": e.id,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "actor": e.actor[:100],
                "resource_type": e.resource_type,
                "resource_id": e.resource_id,
                "data": e.data,
            }
            for i, e in enumerate(company_events)
        ]
        if len(rows) == 1:
            await _INSERT_ONE.execute(conn, **value_args(rows[0]))
            continue
        for start in range(0, len(rows), 1000):
            await conn.execute(events.insert(), rows[start : start + 1000])
    return len(pending)


async def read_events(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    after: int,
    limit: int,
    types: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """A company's events after number `after`, in order."""
    query = sa.select(events).where(events.c.tenant_id == tenant_id, events.c.seq > after)
    if types:
        query = query.where(events.c.type.in_(list(types)))
    query = query.order_by(events.c.seq).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def first_number(conn: AsyncConnection, tenant_id: int) -> int | None:
    """The oldest event number still kept for the company (None: none kept)."""
    query = sa.select(sa.func.min(events.c.seq)).where(events.c.tenant_id == tenant_id)
    value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else int(value)


async def last_number(conn: AsyncConnection, tenant_id: int) -> int:
    query = sa.select(event_sequences.c.last_seq).where(event_sequences.c.tenant_id == tenant_id)
    return int((await conn.execute(query)).scalar_one_or_none() or 0)


async def purge_before(conn: AsyncConnection, before: datetime) -> int:
    """Events older than the retention (every company's); returns how many went."""
    result = await conn.execute(events.delete().where(events.c.occurred_at < before))
    return int(result.rowcount or 0)
