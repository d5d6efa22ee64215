"""Webhook endpoints: where a company's events are pushed, signed (Standard Webhooks).
The commands an admin runs (the CLI's `roster webhook ...`): add, list, remove, rotate
the secret, replay, read the deliveries. Each change is recorded (`record_change`) in
its own transaction. The deliverer (roster.delivery) does the sending.

Decisions a receiver's engineer sees (docs/events.md):
- A new endpoint hears the events after it was added; `replay` sends earlier ones.
- The signing secret (`whsec_` + 32 random bytes, base64) is shown once, when the
  endpoint is added or its secret rotated. It is kept readable (an HMAC needs it),
  never logged nor put in the audit trail.
- Rotating keeps the old secret signing beside the new one for 24 hours, so receivers
  can switch over without dropping a message; a second rotation inside those hours
  drops the oldest.
- Removing is soft (the row stays, `removed_at` set): its pending deliveries are
  marked dead at once with "endpoint removed", so nothing is sent after the removal
  and `roster webhook deliveries --status dead` still shows what was not delivered.
- "Retry now" (the console) makes one pending delivery due at once, or revives a dead
  one with the whole schedule ahead; it still waits for an earlier pending event of
  its resource (one resource's events go out in order).
- The console shows a new secret after a redirect (POST, redirect, GET), so a reload
  cannot add a second endpoint: the secret is shown once from directory/reveals.py's
  one-time stash, bound to the browser session (SCIM tokens are shown the same way).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.audit import SYSTEM, Actor, jsonable, record_change
from roster.directory.events import TYPES
from roster.directory.tenants import get_tenant
from roster.directory.webhook_urls import allowed_addresses, check_url
from roster.model.errors import DirectoryError, conflict, invalid, not_found
from roster.store import webhooks as store
from roster.store.db import Database
from roster.store.events import last_number
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow

# Re-exported: the doors (the console) read deliveries in these words.
from roster.store.webhooks import DEAD as DEAD
from roster.store.webhooks import DELIVERED as DELIVERED
from roster.store.webhooks import PENDING as PENDING
from roster.store.webhooks import STATUSES as STATUSES
from roster.store.webhooks import Delivery as Delivery
from roster.store.webhooks import Endpoint as Endpoint
from roster.store.webhooks import EndpointSummary as EndpointSummary

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
ROTATION_GRACE = timedelta(hours=24)
MAX_ENDPOINTS = 20  # per company: each is a stream of POSTs from Roster's machines
RESOURCE = "Webhook"
SHOWN_ACTION = "webhook.secret_shown"  # recorded when the console shows a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_types(event_types: Sequence[str]) -> tuple[str, ...] | None:
    """The types an endpoint takes; none named means every type (None)."""
    unknown = [t for t in event_types if t not in TYPES]
    if unknown:
        raise invalid(
            f"unknown event type {unknown[0]!r}: use one of {', '.join(TYPES)}", "event_types"
        )
    return tuple(dict.fromkeys(event_types)) or None


async def add_endpoint(
    db: Database,
    subdomain: str,
    url: str,
    event_types: Sequence[str] = (),
    *,
    allow_private: bool,
    actor: Actor = SYSTEM,
) -> tuple[Endpoint, str]:
    """Returns the endpoint and its signing secret (shown once)."""
    tenant = await get_tenant(db, subdomain)
    target = check_url(url)
    await allowed_addresses(target, allow_private=allow_private)
    types = check_types(event_types)
    endpoint_id, secret = new_id(), new_secret()
    async with db.write() as conn:
        if len(await store.list_endpoints(conn, tenant.id)) >= MAX_ENDPOINTS:
            raise DirectoryError(
                "conflict",
                f"{subdomain!r} has {MAX_ENDPOINTS} webhook endpoints already: remove one "
                "first (`roster webhook remove`)",
            )
        await store.insert_endpoint(
            conn,
            tenant_id=tenant.id,
            endpoint_id=endpoint_id,
            url=target.url,
            secret=secret,
            event_types=types,
            # From the company's next event on (a replay sends earlier ones).
            cursor_seq=await last_number(conn, tenant.id),
        )
        await record_change(
            conn,
            tenant.id,
            actor,
            "webhook.add",
            RESOURCE,
            endpoint_id,
            request={"url": target.url, "event_types": list(event_types)},
            changes={"url": target.url, "event_types": list(types) if types else None},
        )
        endpoint = await store.get_endpoint(conn, tenant.id, endpoint_id)
    assert endpoint is not None
    return endpoint, secret


async def list_endpoints(db: Database, subdomain: str) -> list[EndpointSummary]:
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        return await store.list_endpoints(conn, tenant.id)


def _missing(subdomain: str, endpoint_id: str) -> DirectoryError:
    return not_found(
        f"no webhook endpoint {endpoint_id!r} in {subdomain!r} "
        f"(`roster webhook list {subdomain}` shows them)"
    )


async def _live(conn: AsyncConnection, tenant: Tenant, endpoint_id: str) -> Endpoint:
    """The live endpoint, row-locked for the transaction (the deliverer's fan-out skips
    it meanwhile)."""
    endpoint = await store.get_endpoint(conn, tenant.id, endpoint_id, lock=True)
    if endpoint is None or endpoint.removed_at is not None:
        raise _missing(tenant.subdomain, endpoint_id)
    return endpoint


async def get_endpoint(db: Database, subdomain: str, endpoint_id: str) -> Endpoint:
    """One endpoint, live or removed (its deliveries stay readable)."""
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        endpoint = await store.get_endpoint(conn, tenant.id, endpoint_id)
    if endpoint is None:
        raise _missing(subdomain, endpoint_id)
    return endpoint


async def remove_endpoint(
    db: Database, subdomain: str, endpoint_id: str, *, actor: Actor = SYSTEM
) -> int:
    """Returns how many pending deliveries were dropped (marked dead)."""
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        await _live(conn, tenant, endpoint_id)
        dropped = await store.remove_endpoint(conn, tenant.id, endpoint_id)
        await record_change(
            conn,
            tenant.id,
            actor,
            "webhook.remove",
            RESOURCE,
            endpoint_id,
            changes={"removed": True, "pending_dropped": dropped},
        )
    return dropped


async def rotate_secret(
    db: Database, subdomain: str, endpoint_id: str, *, actor: Actor = SYSTEM
) -> tuple[str, datetime]:
    """Returns the new secret (shown once) and until when the old one still signs."""
    tenant = await get_tenant(db, subdomain)
    secret = new_secret()
    until = utcnow() + ROTATION_GRACE
    async with db.write() as conn:
        await _live(conn, tenant, endpoint_id)
        previous = await store.current_secret(conn, tenant.id, endpoint_id)
        await store.set_secret(
            conn, tenant.id, endpoint_id, secret=secret, previous=previous, previous_until=until
        )
        await record_change(
            conn,
            tenant.id,
            actor,
            "webhook.rotate_secret",
            RESOURCE,
            endpoint_id,
            changes={"previous_secret_until": jsonable(until)},
        )
    return secret, until


async def replay(
    db: Database,
    subdomain: str,
    endpoint_id: str,
    *,
    from_seq: int | None = None,
    since: datetime | None = None,
    actor: Actor = SYSTEM,
) -> int:
    """Sends again the endpoint's events from number `from_seq` on, or from the first
    at or after `since` (with their original ids); returns how many were queued."""
    if (from_seq is None) == (since is None):
        raise invalid("give where the replay starts: --from-seq N or --since ISO-TIME")
    if from_seq is not None and from_seq < 1:
        raise invalid(f"--from-seq {from_seq}: event numbers start at 1")
    if since is not None and since.tzinfo is None:
        raise invalid(f"--since {since.isoformat()}: give a time zone, e.g. 2026-12-01T09:00Z")
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        endpoint = await _live(conn, tenant, endpoint_id)
        start = from_seq
        if since is not None:
            start = await store.first_seq_since(conn, tenant.id, since)
        queued = 0
        if start is not None:
            queued = await store.requeue(conn, endpoint, after=start - 1)
        await record_change(
            conn,
            tenant.id,
            actor,
            "webhook.replay",
            RESOURCE,
            endpoint_id,
            request={"from_seq": from_seq, "since": jsonable(since)},
            changes={"from_seq": start, "queued": queued},
        )
    return queued


async def deliveries(
    db: Database,
    subdomain: str,
    endpoint_id: str,
    *,
    status: str | None = None,
    limit: int = 50,
) -> list[Delivery]:
    if status is not None and status not in STATUSES:
        raise invalid(f"--status {status}: use one of {', '.join(STATUSES)}", "status")
    if not 1 <= limit <= 10_000:
        raise invalid(f"--limit {limit}: give a number from 1 to 10000", "limit")
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        endpoint = await store.get_endpoint(conn, tenant.id, endpoint_id)
        if endpoint is None:
            raise _missing(subdomain, endpoint_id)
        return await store.list_deliveries(conn, tenant.id, endpoint_id, status=status, limit=limit)


async def retry_delivery(
    db: Database, subdomain: str, endpoint_id: str, event_seq: int, *, actor: Actor = SYSTEM
) -> Delivery:
    """Sends one delivery again now: a pending one (retrying, or not yet sent) is due at
    once; a dead one is pending again with the whole retry schedule ahead. Returns the
    delivery as it was."""
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        await _live(conn, tenant, endpoint_id)
        found = await store.get_delivery(conn, tenant.id, endpoint_id, event_seq)
        if found is None:
            raise not_found(f"endpoint {endpoint_id!r} has no delivery of event {event_seq}")
        if found.status == DELIVERED:
            raise conflict(
                f"event {event_seq} was delivered already: replay from event {event_seq} "
                "to send it again"
            )
        if found.event_type is None:
            raise conflict(
                f"event {event_seq} is no longer kept (retention), so it cannot be sent again"
            )
        await store.retry_now(conn, tenant.id, endpoint_id, event_seq, revive=found.status == DEAD)
        await record_change(
            conn,
            tenant.id,
            actor,
            "webhook.retry",
            RESOURCE,
            endpoint_id,
            request={"event_seq": event_seq},
            changes={
                "event_seq": event_seq,
                "event_id": found.event_id,
                "status": [found.status, PENDING],
                "attempts_before": found.attempts,
                "last_error_before": found.last_error,
            },
        )
    return found
