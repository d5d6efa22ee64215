"""SET receivers as admins manage them (add, list, remove, replay) and the deliveries an
admin reads: SQL only; every function takes the tenant. The deliverer's own statements
(fan-out, claims, outcomes) are store/deliveries.py's, on the SETS channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import events, set_deliveries, set_receivers
from roster.store.types import utcnow
from roster.store.webhooks import (
    DEAD,
    INSERTED_COLUMNS,
    PENDING,
    Delivery,
    deliveries_of_events,
    delivery_states,
)

r = set_receivers
d = set_deliveries


@dataclass(frozen=True)
class Receiver:
    tenant_id: int
    id: str
    url: str
    audience: str
    issuer: str
    has_authorization: bool
    event_types: tuple[str, ...] | None  # Roster's types; None: every type with a SET
    cursor_seq: int
    created_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True)
class ReceiverSummary:
    receiver: Receiver
    pending: int
    dead: int
    last_status: int | None  # the most recent event's latest attempt
    last_error: str | None


_COLUMNS = (
    r.c.tenant_id,
    r.c.id,
    r.c.url,
    r.c.audience,
    r.c.issuer,
    r.c.authorization.is_not(None).label("has_authorization"),
    r.c.event_types,
    r.c.cursor_seq,
    r.c.created_at,
    r.c.removed_at,
)


def _receiver(row: Any) -> Receiver:
    values = dict(row._mapping)
    types = values.pop("event_types")
    values["has_authorization"] = bool(values["has_authorization"])
    return Receiver(**values, event_types=tuple(types) if types is not None else None)


async def insert_receiver(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    receiver_id: str,
    url: str,
    audience: str,
    issuer: str,
    authorization: str | None,
    event_types: Sequence[str] | None,
    cursor_seq: int,
) -> None:
    await conn.execute(
        r.insert().values(
            tenant_id=tenant_id,
            id=receiver_id,
            url=url,
            audience=audience,
            issuer=issuer,
            authorization=authorization,
            event_types=list(event_types) if event_types is not None else None,
            cursor_seq=cursor_seq,
            created_at=utcnow(),
        )
    )


async def get_receiver(
    conn: AsyncConnection, tenant_id: int, receiver_id: str, *, lock: bool = False
) -> Receiver | None:
    """`lock`: row-locked until the transaction ends (PostgreSQL), so a removal or a
    replay and the deliverer's fan-out of the receiver take turns."""
    query = sa.select(*_COLUMNS).where(r.c.tenant_id == tenant_id, r.c.id == receiver_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=r)
    row = (await conn.execute(query)).first()
    return _receiver(row) if row else None


async def has_live_receiver(conn: AsyncConnection, tenant_id: int) -> bool:
    query = sa.select(r.c.id).where(r.c.tenant_id == tenant_id, r.c.removed_at.is_(None))
    return (await conn.execute(query.limit(1))).first() is not None


async def list_receivers(conn: AsyncConnection, tenant_id: int) -> list[ReceiverSummary]:
    """The company's live receivers, oldest first, with their deliveries counted."""
    rows = (
        await conn.execute(
            sa.select(*_COLUMNS)
            .where(r.c.tenant_id == tenant_id, r.c.removed_at.is_(None))
            .order_by(r.c.created_at, r.c.id)
        )
    ).all()
    receivers = [_receiver(row) for row in rows]
    states = await delivery_states(conn, d, tenant_id, [x.id for x in receivers])
    return [ReceiverSummary(x, *states[x.id]) for x in receivers]


async def remove_receiver(conn: AsyncConnection, tenant_id: int, receiver_id: str) -> int:
    """Marks the receiver removed and its pending deliveries dead (kept, to be read),
    their claim fences cleared off an attempt under way. Returns how many died."""
    await conn.execute(
        r.update()
        .where(r.c.tenant_id == tenant_id, r.c.id == receiver_id)
        .values(removed_at=utcnow(), authorization=None)
    )
    result = await conn.execute(
        d.update()
        .where(d.c.tenant_id == tenant_id, d.c.endpoint_id == receiver_id, d.c.status == PENDING)
        .values(status=DEAD, claimed_until=None, last_error="receiver removed")
    )
    return int(result.rowcount or 0)


async def requeue(conn: AsyncConnection, receiver: Receiver, *, after: int) -> int:
    """Every event after `after` up to the receiver's cursor that its types take,
    pending again from now (new deliveries for events it never had; delivered and dead
    ones reset, with their jti). Returns how many."""
    now = utcnow()
    select = deliveries_of_events(
        receiver.tenant_id,
        receiver.id,
        receiver.event_types,
        after=after,
        upto=receiver.cursor_seq,
        now=now,
    )
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(d).from_select(list(INSERTED_COLUMNS), select)
    statement = insert.on_conflict_do_update(
        index_elements=[d.c.tenant_id, d.c.endpoint_id, d.c.event_seq],
        set_={
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": insert.excluded.next_attempt_at,
            "claimed_until": None,
            "last_status": None,
            "last_error": None,
            "last_response": None,
            "delivered_at": None,
        },
    )
    result = await conn.execute(statement)
    return int(result.rowcount or 0)


async def list_deliveries(
    conn: AsyncConnection, tenant_id: int, receiver_id: str, *, status: str | None, limit: int
) -> list[Delivery]:
    """A receiver's deliveries, newest event first."""
    query = (
        sa.select(
            d.c.event_seq,
            d.c.event_id,
            events.c.type.label("event_type"),
            d.c.status,
            d.c.attempts,
            d.c.next_attempt_at,
            d.c.last_status,
            d.c.last_error,
            d.c.last_response,
            d.c.created_at,
            d.c.delivered_at,
        )
        .select_from(
            d.outerjoin(
                events, sa.and_(events.c.tenant_id == d.c.tenant_id, events.c.seq == d.c.event_seq)
            )
        )
        .where(d.c.tenant_id == tenant_id, d.c.endpoint_id == receiver_id)
        .order_by(d.c.event_seq.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(d.c.status == status)
    return [Delivery(**row._mapping) for row in await conn.execute(query)]
