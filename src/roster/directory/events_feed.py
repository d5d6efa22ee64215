"""The events feed: a company's events in order, read page after page by a downstream
service that keeps its cursor (GET /api/v1/events). Numbers are handed out in commit
order per company (store/events.py), so a reader that resumes after the last number it
saw misses nothing and sees nothing twice. Events are kept `events_retention_days`;
a reader that comes back after its cursor's events were purged is told so, never
silently skipped ahead."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from roster.directory.events import TYPES
from roster.logging import get_logger
from roster.model.errors import invalid
from roster.store import events as store
from roster.store.db import Database
from roster.store.tenants import Tenant
from roster.store.types import utcnow

log = get_logger("roster.events")
MAX_PAGE = 1000


class EventsPurged(Exception):
    """The reader's cursor is older than the oldest event kept."""

    def __init__(self, oldest: int) -> None:
        super().__init__(oldest)
        self.oldest = oldest


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]  # as event_json gives them
    next: int  # the cursor to send as ?after= next time
    has_more: bool  # more events are ready now


def event_json(event: dict[str, Any], subdomain: str) -> dict[str, Any]:
    """An event as downstream services receive it (feed and webhooks alike)."""
    return {
        "id": event["id"],
        "type": event["type"],
        "company": subdomain,
        "sequence": event["seq"],
        "occurred_at": event["occurred_at"].isoformat(),
        "actor": event["actor"],
        "resource": {"type": event["resource_type"], "id": event["resource_id"]},
        "data": event["data"],
    }


def check_types(types: Sequence[str]) -> list[str]:
    unknown = sorted(set(types) - set(TYPES))
    if unknown:
        raise invalid(
            f"unknown event type(s) {', '.join(unknown)}; the types are {', '.join(TYPES)}",
            "types",
        )
    return list(types)


async def read_feed(
    db: Database, tenant: Tenant, *, after: int, limit: int, types: Sequence[str] = ()
) -> FeedPage:
    if after < 0:
        raise invalid("after must be 0 (the start) or a cursor the feed gave", "after")
    if not 1 <= limit <= MAX_PAGE:
        raise invalid(f"limit must be between 1 and {MAX_PAGE}", "limit")
    wanted = check_types(types)
    async with db.read() as conn:
        rows = await store.read_events(conn, tenant.id, after=after, limit=limit + 1, types=wanted)
        if after > 0 and (not rows or rows[0]["seq"] > after + 1):
            oldest = await store.first_number(conn, tenant.id)
            if oldest is None:  # every event purged: were any after the cursor?
                last = await store.last_number(conn, tenant.id)
                if last > after:
                    raise EventsPurged(last + 1)
            elif oldest > after + 1:
                raise EventsPurged(oldest)
    page, has_more = rows[:limit], len(rows) > limit
    cursor = page[-1]["seq"] if page else after
    return FeedPage([event_json(e, tenant.subdomain) for e in page], cursor, has_more)


PURGE_EVERY_SECONDS = 600.0


async def purge_expired(db: Database, *, retention_days: int) -> int:
    async with db.write() as conn:
        return await store.purge_before(conn, utcnow() - timedelta(days=retention_days))


async def keep_recent(db: Database, *, retention_days: int) -> None:
    """Run while the app serves: events past the retention purged every ten minutes
    (a failed purge is logged and tried again; it never stops serving)."""
    while True:
        try:
            purged = await purge_expired(db, retention_days=retention_days)
            if purged:
                log.info("events purged", count=purged, retention_days=retention_days)
        except Exception:
            log.exception("events purge failed")
        await asyncio.sleep(PURGE_EVERY_SECONDS)
