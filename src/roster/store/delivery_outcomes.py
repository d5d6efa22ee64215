"""What became of the deliverer's claims: their attempts' outcomes, claims given back,
and finished deliveries purged. SQL only. Each outcome is fenced by its claim's
`claimed_until` stamp (store/deliveries.py says why)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.deliveries import CHANNELS, WEBHOOKS, Channel, Claim
from roster.store.prepared import Prepared, value_args, value_binds
from roster.store.webhooks import DEAD, DELIVERED, PENDING


def _fenced(c: Claim) -> sa.ColumnElement[bool]:
    d = CHANNELS[c.channel].deliveries
    return sa.and_(
        d.c.tenant_id == c.tenant_id,
        d.c.endpoint_id == c.endpoint_id,
        d.c.event_seq == c.event_seq,
        d.c.status == PENDING,
        d.c.claimed_until == c.token,
    )


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to. `next_attempt_at` None and not delivered: dead."""

    delivered: bool
    status: int | None
    error: str | None
    response: str | None
    next_attempt_at: datetime | None


def _outcome_update(d: sa.Table) -> Prepared:
    """One attempt's outcome, fenced by its claim. Every outcome has the same shape (a
    delivery keeps its `delivered_at` unless this attempt delivered it), so a batch of
    outcomes is one statement run once per delivery, prepared once."""
    fence = sa.and_(
        d.c.tenant_id == sa.bindparam("of_tenant_id", type_=d.c.tenant_id.type),
        d.c.endpoint_id == sa.bindparam("of_endpoint_id", type_=d.c.endpoint_id.type),
        d.c.event_seq == sa.bindparam("of_event_seq", type_=d.c.event_seq.type),
        d.c.status == PENDING,
        d.c.claimed_until == sa.bindparam("token", type_=d.c.claimed_until.type),
    )
    delivered_at = sa.bindparam("new_delivered_at", type_=d.c.delivered_at.type)
    return Prepared(
        d.update()
        .where(fence)
        .values(
            attempts=d.c.attempts + 1,
            claimed_until=None,
            delivered_at=sa.func.coalesce(delivered_at, d.c.delivered_at),
            **value_binds(d, _OUTCOME_COLUMNS),
        )
    )


_OUTCOME_COLUMNS = ("status", "next_attempt_at", "last_status", "last_error", "last_response")
_RECORD_OUTCOME = {name: _outcome_update(c.deliveries) for name, c in CHANNELS.items()}


async def record_outcomes(
    conn: AsyncConnection, outcomes: Sequence[tuple[Claim, Outcome]], now: datetime
) -> list[bool]:
    """The attempts' outcomes, each if its claim still stands (False where it no longer
    did), in one transaction: a deliverer under load records what finished together."""
    stood = []
    for c, outcome in outcomes:
        if outcome.delivered:
            status, next_at, delivered_at = DELIVERED, now, now
        elif outcome.next_attempt_at is None:
            status, next_at, delivered_at = DEAD, now, None
        else:
            status, next_at, delivered_at = PENDING, outcome.next_attempt_at, None
        values = {
            "status": status,
            "next_attempt_at": next_at,
            "last_status": outcome.status,
            "last_error": outcome.error[:2000] if outcome.error else None,
            "last_response": outcome.response[:2000] if outcome.response is not None else None,
        }
        changed = await _RECORD_OUTCOME[c.channel].execute(
            conn,
            of_tenant_id=c.tenant_id,
            of_endpoint_id=c.endpoint_id,
            of_event_seq=c.event_seq,
            token=c.token,
            new_delivered_at=delivered_at,
            **value_args(values),
        )
        stood.append(changed > 0)
    return stood


async def release(conn: AsyncConnection, claims: Sequence[Claim]) -> None:
    """Claims given back unsent (a deliverer stopping): due again at once, for anyone."""
    for c in claims:
        d = CHANNELS[c.channel].deliveries
        await conn.execute(d.update().where(_fenced(c)).values(claimed_until=None))


async def purge_finished(
    conn: AsyncConnection, before: datetime, channel: Channel = WEBHOOKS
) -> int:
    """Delivered and dead deliveries whose last attempt is older than `before` (every
    company's), as their events go after the retention; returns how many went. Pending
    ones stay: they die on their own schedule."""
    d = channel.deliveries
    result = await conn.execute(
        d.delete().where(d.c.status.in_([DELIVERED, DEAD]), d.c.next_attempt_at < before)
    )
    return int(result.rowcount or 0)
