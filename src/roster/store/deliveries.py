"""The deliverer's statements: fan-out (events into deliveries), claims, outcomes.
SQL only. Every deliverer of a database (several processes and machines on PostgreSQL)
runs them at once, so each is safe against the others:

- fan-out locks the endpoint's row (skipping one another deliverer is fanning out) and
  inserts with ON CONFLICT DO NOTHING, then moves the cursor;
- a claim takes due deliveries FOR UPDATE SKIP LOCKED and stamps `claimed_until`, so no
  two deliverers send one delivery at the same time; of one resource's deliveries only
  the earliest still pending is due, so one resource's events go out one at a time, in
  order;
- an outcome is written only while the claim is still the one that was taken (the
  `claimed_until` stamp is its fence; store/delivery_outcomes.py): after the endpoint
  was removed, the delivery replayed, or the claim expired and was taken by another
  deliverer, a late outcome changes nothing.

On SQLite a write transaction holds the database's write lock from its first statement
(BEGIN IMMEDIATE), which serialises claims the same way.

Two channels run on these statements: signed webhooks (webhook_endpoints and
webhook_deliveries) and Security Event Tokens (set_receivers and set_deliveries), each
function taking the channel (webhooks unless told); their tables have the same shape
where these statements touch them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.prepared import Prepared
from roster.store.tables import (
    event_sequences,
    events,
    set_deliveries,
    set_receivers,
    tenants,
    webhook_deliveries,
    webhook_endpoints,
)
from roster.store.webhooks import (
    INSERTED_COLUMNS,
    PENDING,
    deliveries_of_events,
)

WEBHOOK, SET = "webhook", "set"


@dataclass(frozen=True)
class Channel:
    """Where one kind of delivery keeps its endpoints and their deliveries."""

    name: str
    endpoints: sa.Table
    deliveries: sa.Table

    def sent_with(self) -> tuple[sa.ColumnElement[Any], ...]:
        """What sending a delivery needs of its endpoint, beside the URL."""
        ep = self.endpoints
        if self.name == SET:
            return (ep.c.audience, ep.c.issuer, ep.c.authorization)
        return (ep.c.secret, ep.c.previous_secret, ep.c.previous_secret_until)


WEBHOOKS = Channel(WEBHOOK, webhook_endpoints, webhook_deliveries)
SETS = Channel(SET, set_receivers, set_deliveries)
CHANNELS = {c.name: c for c in (WEBHOOKS, SETS)}


@dataclass(frozen=True)
class Claim:
    """One delivery a deliverer has taken, with what it needs to send it."""

    tenant_id: int
    endpoint_id: str
    event_seq: int
    event_id: str
    attempts: int  # made before this one
    token: datetime  # the claim's `claimed_until`, its fence
    url: str
    secret: str  # webhooks' signing secret ("" for a SET receiver)
    previous_secret: str | None
    previous_secret_until: datetime | None
    company: str  # the subdomain
    # The event as store/events.py reads it (what directory/events_feed.py: event_json
    # renders); None: no longer kept (retention).
    event: dict[str, Any] | None
    channel: str = WEBHOOK
    # A SET receiver's: the SETs' "aud" and "iss", its Authorization header (sealed).
    audience: str | None = None
    issuer: str | None = None
    authorization: str | None = None


def _sent_with(channel: Channel, row: Any) -> dict[str, Any]:
    if channel.name == SET:
        return {
            "secret": "",
            "previous_secret": None,
            "previous_secret_until": None,
            "audience": row.audience,
            "issuer": row.issuer,
            "authorization": row.authorization,
        }
    return {
        "secret": row.secret,
        "previous_secret": row.previous_secret,
        "previous_secret_until": row.previous_secret_until,
    }


def _due(d: sa.Table, now: datetime | sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
    return sa.and_(
        d.c.status == PENDING,
        d.c.next_attempt_at <= now,
        sa.or_(d.c.claimed_until.is_(None), d.c.claimed_until < now),
    )


def _endpoints_behind() -> Prepared:
    parts = []
    for channel in CHANNELS.values():
        ep = channel.endpoints
        parts.append(
            sa.select(
                sa.literal_column(f"'{channel.name}'").label("channel"), ep.c.tenant_id, ep.c.id
            )
            .select_from(ep.join(event_sequences, event_sequences.c.tenant_id == ep.c.tenant_id))
            .where(ep.c.removed_at.is_(None), event_sequences.c.last_seq > ep.c.cursor_seq)
        )
    return Prepared(sa.union_all(*parts))


# Every round of every deliverer runs these two: one statement for both channels.
_ENDPOINTS_BEHIND = _endpoints_behind()


async def endpoints_behind(conn: AsyncConnection) -> list[tuple[Channel, int, str]]:
    """Live endpoints (of both channels) whose company has events after their cursor."""
    rows = await _ENDPOINTS_BEHIND.all(conn)
    return [(CHANNELS[r["channel"]], int(r["tenant_id"]), str(r["id"])) for r in rows]


async def fan_out(
    conn: AsyncConnection,
    tenant_id: int,
    endpoint_id: str,
    *,
    batch: int,
    now: datetime,
    channel: Channel = WEBHOOKS,
) -> int:
    """Up to `batch` of the endpoint's next events as deliveries, the cursor moved past
    them; returns how many events were passed (0: none, or another deliverer has the
    endpoint). Seq numbers are handed out in commit order, so no event can still
    appear behind the cursor."""
    ep = channel.endpoints
    query = sa.select(ep.c.cursor_seq, ep.c.event_types).where(
        ep.c.tenant_id == tenant_id, ep.c.id == endpoint_id, ep.c.removed_at.is_(None)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = (await conn.execute(query)).first()
    if row is None:
        return 0
    last = (
        await conn.execute(
            sa.select(event_sequences.c.last_seq).where(event_sequences.c.tenant_id == tenant_id)
        )
    ).scalar_one_or_none()
    cursor = int(row.cursor_seq)
    upto = min(int(last or 0), cursor + batch)
    if upto <= cursor:
        return 0
    types = row.event_types
    select = deliveries_of_events(tenant_id, endpoint_id, types, after=cursor, upto=upto, now=now)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(channel.deliveries).from_select(list(INSERTED_COLUMNS), select)
    await conn.execute(insert.on_conflict_do_nothing())
    await conn.execute(
        ep.update()
        .where(ep.c.tenant_id == tenant_id, ep.c.id == endpoint_id)
        .values(cursor_seq=upto)
    )
    return upto - cursor


def _due_endpoints() -> Prepared:
    now = sa.bindparam("now", type_=webhook_deliveries.c.next_attempt_at.type)
    limit = sa.bindparam("limit", type_=sa.Integer)
    parts = []
    for channel in CHANNELS.values():
        d = channel.deliveries
        oldest = (
            sa.select(
                sa.literal_column(f"'{channel.name}'").label("channel"),
                d.c.tenant_id,
                d.c.endpoint_id,
                sa.func.min(d.c.next_attempt_at).label("waiting_since"),
            )
            .where(_due(d, now))
            .group_by(d.c.tenant_id, d.c.endpoint_id)
            .order_by(sa.func.min(d.c.next_attempt_at))
            .limit(limit)
            .subquery()
        )
        parts.append(sa.select(oldest))
    return Prepared(sa.union_all(*parts))


_DUE_ENDPOINTS = _due_endpoints()


async def due_endpoints(
    conn: AsyncConnection, now: datetime, limit: int
) -> dict[str, list[tuple[int, str]]]:
    """Per channel, up to `limit` endpoints with a delivery due, the longest waiting
    first."""
    due: dict[str, list[tuple[Any, int, str]]] = {name: [] for name in CHANNELS}
    for r in await _DUE_ENDPOINTS.all(conn, now=now, limit=limit):
        due[r["channel"]].append((r["waiting_since"], int(r["tenant_id"]), str(r["endpoint_id"])))
    return {name: [(t, e) for _, t, e in sorted(rows)] for name, rows in due.items()}


async def claim(
    conn: AsyncConnection,
    tenant_id: int,
    endpoint_id: str,
    *,
    now: datetime,
    until: datetime,
    limit: int,
    channel: Channel = WEBHOOKS,
) -> list[Claim]:
    """Up to `limit` of the endpoint's due deliveries, each the earliest pending one of
    its resource, claimed until `until`; with what sending them needs."""
    d, ep = channel.deliveries, channel.endpoints
    earlier = d.alias("earlier")
    first_of_its_resource = ~sa.exists().where(
        earlier.c.tenant_id == d.c.tenant_id,
        earlier.c.endpoint_id == d.c.endpoint_id,
        earlier.c.resource_key == d.c.resource_key,
        earlier.c.status == PENDING,
        earlier.c.event_seq < d.c.event_seq,
    )
    query = (
        sa.select(d.c.event_seq)
        .where(d.c.tenant_id == tenant_id, d.c.endpoint_id == endpoint_id)
        .where(_due(d, now), first_of_its_resource)
        .order_by(d.c.event_seq)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=d)
    seqs = [int(s) for s in (await conn.execute(query)).scalars()]
    if not seqs:
        return []
    mine = sa.and_(
        d.c.tenant_id == tenant_id, d.c.endpoint_id == endpoint_id, d.c.event_seq.in_(seqs)
    )
    await conn.execute(d.update().where(mine).values(claimed_until=until))
    rows = await conn.execute(
        sa.select(
            d.c.event_seq,
            d.c.event_id,
            d.c.attempts,
            ep.c.url,
            *channel.sent_with(),
            tenants.c.subdomain,
            events.c.type,
            events.c.occurred_at,
            events.c.actor,
            events.c.resource_type,
            events.c.resource_id,
            events.c.data,
            events.c.seq.label("kept"),
        )
        .select_from(
            d.join(ep, sa.and_(ep.c.tenant_id == d.c.tenant_id, ep.c.id == d.c.endpoint_id))
            .join(tenants, tenants.c.id == d.c.tenant_id)
            .outerjoin(
                events, sa.and_(events.c.tenant_id == d.c.tenant_id, events.c.seq == d.c.event_seq)
            )
        )
        .where(mine)
        .order_by(d.c.event_seq)
    )
    return [
        Claim(
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            event_seq=int(r.event_seq),
            event_id=r.event_id,
            attempts=int(r.attempts),
            token=until,
            url=r.url,
            **_sent_with(channel, r),
            company=r.subdomain,
            event=(
                {
                    "id": r.event_id,
                    "seq": int(r.event_seq),
                    "type": r.type,
                    "occurred_at": r.occurred_at,
                    "actor": r.actor,
                    "resource_type": r.resource_type,
                    "resource_id": r.resource_id,
                    "data": r.data,
                }
                if r.kept is not None
                else None
            ),
            channel=channel.name,
        )
        for r in rows
    ]
