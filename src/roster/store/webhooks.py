"""Webhook endpoints as admins manage them: add, list, remove, rotate the secret,
replay, and the deliveries an admin reads. SQL only; every function takes the tenant.
The deliverer's own statements (fan-out, claims, outcomes) are store/deliveries.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import events, webhook_deliveries, webhook_endpoints
from roster.store.types import UTCDateTime, utcnow

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATUSES = (PENDING, DELIVERED, DEAD)
d = webhook_deliveries
ep = webhook_endpoints


@dataclass(frozen=True)
class Endpoint:
    tenant_id: int
    id: str
    url: str
    event_types: tuple[str, ...] | None  # None: every type
    cursor_seq: int
    created_at: datetime
    removed_at: datetime | None
    previous_secret_until: datetime | None


@dataclass(frozen=True)
class EndpointSummary:
    endpoint: Endpoint
    pending: int
    dead: int
    # The most recent event's latest attempt: its HTTP status, or the error.
    last_status: int | None
    last_error: str | None


@dataclass(frozen=True)
class Delivery:
    event_seq: int
    event_id: str
    event_type: str | None  # None: the event is no longer kept
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    last_response: str | None
    created_at: datetime
    delivered_at: datetime | None


_ENDPOINT_COLUMNS = (
    ep.c.tenant_id,
    ep.c.id,
    ep.c.url,
    ep.c.event_types,
    ep.c.cursor_seq,
    ep.c.created_at,
    ep.c.removed_at,
    ep.c.previous_secret_until,
)


def _endpoint(row: Any) -> Endpoint:
    values = dict(row._mapping)
    types = values.pop("event_types")
    return Endpoint(**values, event_types=tuple(types) if types is not None else None)


def resource_key(resource_type: Any, resource_id: Any) -> Any:
    """What orders an endpoint's deliveries: one resource's events go out one at a time,
    in order. `resource_key(events.c.resource_type, events.c.resource_id)` in SQL."""
    return resource_type + ":" + sa.func.coalesce(resource_id, "")


def deliveries_of_events(
    tenant_id: int,
    endpoint_id: str,
    event_types: Sequence[str] | None,
    *,
    after: int,
    upto: int,
    now: datetime,
) -> sa.Select[Any]:
    """A pending delivery row for each of the company's events in (after, upto] whose
    type the endpoint takes, for INSERT ... SELECT (fan-out and replay share it)."""
    time = UTCDateTime()
    query = sa.select(
        sa.literal(tenant_id, sa.Integer),
        sa.literal(endpoint_id, sa.String),
        events.c.seq,
        events.c.id,
        resource_key(events.c.resource_type, events.c.resource_id),
        sa.literal(PENDING, sa.String),
        sa.literal(0, sa.Integer),
        sa.literal(now, time),
        sa.literal(now, time),
    ).where(events.c.tenant_id == tenant_id, events.c.seq > after, events.c.seq <= upto)
    if event_types is not None:
        query = query.where(events.c.type.in_(list(event_types)))
    return query


INSERTED_COLUMNS = (
    "tenant_id",
    "endpoint_id",
    "event_seq",
    "event_id",
    "resource_key",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def upsert(conn: AsyncConnection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(d)


async def insert_endpoint(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    endpoint_id: str,
    url: str,
    secret: str,
    event_types: Sequence[str] | None,
    cursor_seq: int,
) -> None:
    await conn.execute(
        ep.insert().values(
            tenant_id=tenant_id,
            id=endpoint_id,
            url=url,
            secret=secret,
            event_types=list(event_types) if event_types is not None else None,
            cursor_seq=cursor_seq,
            created_at=utcnow(),
        )
    )


async def get_endpoint(
    conn: AsyncConnection, tenant_id: int, endpoint_id: str, *, lock: bool = False
) -> Endpoint | None:
    """`lock`: row-locked until the transaction ends (PostgreSQL), so that a rotation or
    a replay and the deliverer's fan-out of the endpoint take turns."""
    query = sa.select(*_ENDPOINT_COLUMNS).where(ep.c.tenant_id == tenant_id, ep.c.id == endpoint_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _endpoint(row) if row else None


async def list_endpoints(conn: AsyncConnection, tenant_id: int) -> list[EndpointSummary]:
    """The company's live endpoints, oldest first, with their deliveries counted."""
    rows = (
        await conn.execute(
            sa.select(*_ENDPOINT_COLUMNS)
            .where(ep.c.tenant_id == tenant_id, ep.c.removed_at.is_(None))
            .order_by(ep.c.created_at, ep.c.id)
        )
    ).all()
    endpoints = [_endpoint(row) for row in rows]
    states = await delivery_states(conn, d, tenant_id, [e.id for e in endpoints])
    return [EndpointSummary(e, *states[e.id]) for e in endpoints]


async def delivery_states(
    conn: AsyncConnection, deliveries: sa.Table, tenant_id: int, endpoint_ids: Sequence[str]
) -> dict[str, tuple[int, int, int | None, str | None]]:
    """Per endpoint (a webhook endpoint or a SET receiver, by its deliveries table):
    deliveries pending, dead, and the last attempt's status and error."""
    dl = deliveries
    counts: dict[tuple[str, str], int] = {}
    for endpoint_id, status, count in await conn.execute(
        sa.select(dl.c.endpoint_id, dl.c.status, sa.func.count())
        .where(dl.c.tenant_id == tenant_id, dl.c.status.in_([PENDING, DEAD]))
        .group_by(dl.c.endpoint_id, dl.c.status)
    ):
        counts[(endpoint_id, status)] = int(count)
    out = {}
    for endpoint_id in endpoint_ids:
        last = (
            await conn.execute(
                sa.select(dl.c.last_status, dl.c.last_error)
                .where(dl.c.tenant_id == tenant_id, dl.c.endpoint_id == endpoint_id)
                .where(dl.c.attempts > 0)
                .order_by(dl.c.event_seq.desc())
                .limit(1)
            )
        ).first()
        out[endpoint_id] = (
            counts.get((endpoint_id, PENDING), 0),
            counts.get((endpoint_id, DEAD), 0),
            last.last_status if last else None,
            last.last_error if last else None,
        )
    return out


async def current_secret(conn: AsyncConnection, tenant_id: int, endpoint_id: str) -> str:
    query = sa.select(ep.c.secret).where(ep.c.tenant_id == tenant_id, ep.c.id == endpoint_id)
    return str((await conn.execute(query)).scalar_one())


async def set_secret(
    conn: AsyncConnection,
    tenant_id: int,
    endpoint_id: str,
    *,
    secret: str,
    previous: str,
    previous_until: datetime,
) -> None:
    await conn.execute(
        ep.update()
        .where(ep.c.tenant_id == tenant_id, ep.c.id == endpoint_id)
        .values(secret=secret, previous_secret=previous, previous_secret_until=previous_until)
    )


async def remove_endpoint(conn: AsyncConnection, tenant_id: int, endpoint_id: str) -> int:
    """Marks the endpoint removed and its pending deliveries dead (kept, to be read);
    clearing their claim fences off an attempt still under way. Returns how many died."""
    now = utcnow()
    where = (ep.c.tenant_id == tenant_id, ep.c.id == endpoint_id)
    await conn.execute(ep.update().where(*where).values(removed_at=now))
    result = await conn.execute(
        d.update()
        .where(d.c.tenant_id == tenant_id, d.c.endpoint_id == endpoint_id, d.c.status == PENDING)
        .values(status=DEAD, claimed_until=None, last_error="endpoint removed")
    )
    return int(result.rowcount or 0)


async def first_seq_since(conn: AsyncConnection, tenant_id: int, since: datetime) -> int | None:
    """The number of the company's first event at or after `since`."""
    query = sa.select(sa.func.min(events.c.seq)).where(
        events.c.tenant_id == tenant_id, events.c.occurred_at >= since
    )
    found = (await conn.execute(query)).scalar_one_or_none()
    return int(found) if found is not None else None


async def requeue(conn: AsyncConnection, endpoint: Endpoint, *, after: int) -> int:
    """Every event after `after` up to the endpoint's cursor (later ones are fanned out
    anyway) that its types take, pending again from now: new deliveries for events it
    never had, and delivered or dead ones reset (same event ids). Returns how many."""
    now = utcnow()
    select = deliveries_of_events(
        endpoint.tenant_id,
        endpoint.id,
        endpoint.event_types,
        after=after,
        upto=endpoint.cursor_seq,
        now=now,
    )
    insert = upsert(conn).from_select(list(INSERTED_COLUMNS), select)
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


def _deliveries(tenant_id: int, endpoint_id: str) -> sa.Select[Any]:
    return (
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
        .where(d.c.tenant_id == tenant_id, d.c.endpoint_id == endpoint_id)
    )


async def list_deliveries(
    conn: AsyncConnection,
    tenant_id: int,
    endpoint_id: str,
    *,
    status: str | None,
    limit: int,
) -> list[Delivery]:
    """An endpoint's deliveries, newest event first."""
    query = _deliveries(tenant_id, endpoint_id).order_by(d.c.event_seq.desc()).limit(limit)
    if status is not None:
        query = query.where(d.c.status == status)
    return [Delivery(**row._mapping) for row in await conn.execute(query)]


async def get_delivery(
    conn: AsyncConnection, tenant_id: int, endpoint_id: str, event_seq: int
) -> Delivery | None:
    query = _deliveries(tenant_id, endpoint_id).where(d.c.event_seq == event_seq)
    row = (await conn.execute(query)).first()
    return Delivery(**row._mapping) if row else None


async def retry_now(
    conn: AsyncConnection, tenant_id: int, endpoint_id: str, event_seq: int, *, revive: bool
) -> bool:
    """A pending delivery due now; or (`revive`) a dead one pending again from now with
    the whole schedule ahead (attempts 0, as a replay leaves it). A pending one being
    sent keeps its claim: the attempt's outcome then decides the next time."""
    now = utcnow()
    values: dict[str, Any] = {"next_attempt_at": now}
    if revive:
        values.update(
            status=PENDING,
            attempts=0,
            claimed_until=None,
            last_status=None,
            last_error=None,
            last_response=None,
            delivered_at=None,
        )
    result = await conn.execute(
        d.update()
        .where(d.c.tenant_id == tenant_id, d.c.endpoint_id == endpoint_id)
        .where(d.c.event_seq == event_seq, d.c.status == (DEAD if revive else PENDING))
        .values(**values)
    )
    return bool(result.rowcount)
