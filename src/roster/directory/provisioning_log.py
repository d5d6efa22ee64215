"""The provisioning log: what the identity provider asked over SCIM, and what it got.

Rows are written by `ProvisioningLogWriter` in batches off the request path (one
transaction every quarter second at most, however many requests), so logging does not
add a write per SCIM request. Old rows are purged per the company's retention setting.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from roster.logging import get_logger
from roster.model.errors import invalid
from roster.store import audit as audit_store
from roster.store import provisioning_log as store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.provisioning_log import Entry
from roster.store.tenants import Tenant
from roster.store.types import utcnow

log = get_logger("roster.provisioning_log")

RETENTION_CHOICES = (7, 30, 90, 180, 365)
WRITER_TASK_NAME = "roster-provisioning-log-writer"
PURGE_EVERY_SECONDS = 600.0


class ProvisioningLogWriter:
    """Collects entries and writes them in batches from a background task."""

    def __init__(self, db: Database, *, interval: float = 0.25, max_batch: int = 1000) -> None:
        self.db = db
        self.interval = interval
        self.max_batch = max_batch
        self._buffer: list[Entry] = []
        self._task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._purged: dict[int, float] = {}

    def record(self, entry: Entry) -> None:
        self._buffer.append(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=WRITER_TASK_NAME)

    async def _run(self) -> None:
        while self._buffer:
            if len(self._buffer) < self.max_batch:
                await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        """Write what has been collected (the console calls this before reading)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            batch, self._buffer = self._buffer, []
            if not batch:
                return
            try:
                async with self.db.write() as conn:
                    for start in range(0, len(batch), 500):
                        await store.insert_entries(conn, batch[start : start + 500])
                    await store.add_to_hours(conn, batch)
            except Exception:
                log.exception("provisioning log write failed", entries=len(batch))
                return
            now = time.monotonic()
            for tenant_id in {e["tenant_id"] for e in batch}:
                if now - self._purged.get(tenant_id, 0.0) > PURGE_EVERY_SECONDS:
                    self._purged[tenant_id] = now
                    try:
                        await purge(self.db, tenant_id)
                    except Exception:
                        log.exception("provisioning log purge failed", tenant_id=tenant_id)

    async def close(self) -> None:
        await self.flush()
        if self._task is not None and not self._task.done():
            self._task.cancel()


async def purge(db: Database, tenant_id: int) -> int:
    """Delete rows older than the company's retention; returns how many."""
    async with db.write() as conn:
        tenant = await tenant_store.tenant_by_id(conn, tenant_id)
        if tenant is None:
            return 0
        days = int(tenant.setting("log_retention_days"))
        return await store.purge_before(conn, tenant_id, utcnow() - timedelta(days=days))


def check_retention(days: int) -> int:
    if days not in RETENTION_CHOICES:
        raise invalid(
            f"log retention must be one of {', '.join(map(str, RETENTION_CHOICES))} days",
            "log_retention_days",
        )
    return days


@dataclass
class LogPage:
    entries: list[Entry]
    next_after: str | None  # "bucket.id" of the last row, when there may be more
    total: int


def encode_after(entry: Entry) -> str:
    return f"{entry.get('bucket', 0)}.{entry['id']}"


def decode_after(value: str | None) -> tuple[int, str] | None:
    if not value or "." not in value:
        return None
    bucket, _, entry_id = value.partition(".")
    if bucket not in ("0", "1") or len(entry_id) != 36:
        return None
    return int(bucket), entry_id


async def list_entries(
    db: Database,
    tenant: Tenant,
    *,
    limit: int = 50,
    failures_first: bool = True,
    after: str | None = None,
    **filters: Any,
) -> LogPage:
    async with db.read() as conn:
        rows = await store.list_entries(
            conn,
            tenant.id,
            limit=limit + 1,
            failures_first=failures_first,
            after=decode_after(after),
            **filters,
        )
        total = await store.count_entries(conn, tenant.id, **filters)
        await _label_tokens(conn, tenant.id, rows)
    more = len(rows) > limit
    rows = rows[:limit]
    return LogPage(rows, encode_after(rows[-1]) if more and rows else None, total)


async def get_entry(db: Database, tenant: Tenant, entry_id: str) -> Entry | None:
    async with db.read() as conn:
        entry = await store.get_entry(conn, tenant.id, entry_id)
        if entry is not None:
            await _label_tokens(conn, tenant.id, [entry])
        return entry


async def _label_tokens(conn: Any, tenant_id: int, entries: list[Entry]) -> None:
    """Each entry's `token_label`: the label the admin gave the token that sent it (a
    company has a handful of tokens, read in one statement)."""
    if not any(e.get("token_id") for e in entries):
        return
    labels = {t.id: t.label for t in await tenant_store.list_tokens(conn, tenant_id)}
    for entry in entries:
        entry["token_label"] = labels.get(entry.get("token_id") or "")


# Columns that shadow another (case-folded copies) or keep the books.
_UNTOLD = frozenset({"version", "updated_at", "created_at", "idp_linked_at"})


def _readable(changes: Any) -> list[str]:
    """The changed fields as an admin reads them: "family name", not "family_name"."""
    if not isinstance(changes, dict):
        return []
    return sorted(
        key.replace("_", " ")
        for key in changes
        if key not in _UNTOLD and not key.endswith("_lower")
    )


async def what_roster_did(db: Database, tenant: Tenant, entry: Entry) -> list[dict[str, Any]]:
    """The changes a logged request made, with Roster's notes on what it ignored,
    discarded or left pending (a password not kept, an unknown attribute, a manager
    not yet in Roster): what the request body alone does not tell the admin."""
    if not entry.get("resource_id") or not entry.get("request_id"):
        return []
    async with db.read() as conn:
        rows = await audit_store.events_of_request(
            conn, tenant.id, entry["resource_id"], entry["request_id"]
        )
    return [
        {
            "action": row["action"],
            "fields": _readable(row["changes"]),
            "notes": list(row["notes"] or []),
        }
        for row in rows
    ]


async def recent_summary(db: Database, tenant: Tenant, *, days: int = 7) -> dict[str, Any]:
    since = utcnow() - timedelta(days=days)
    async with db.read() as conn:
        counts = await store.status_counts(conn, tenant.id, since)
        last_at = await store.last_entry_at(conn, tenant.id)
    total = sum(counts.values())
    failures = sum(n for s, n in counts.items() if s >= 400)
    return {"total": total, "failures": failures, "by_status": counts, "last_at": last_at}


@dataclass(frozen=True)
class Bar:
    """One hour's or one day's SCIM requests, for a chart."""

    start: datetime
    end: datetime
    requests: int
    failures: int


PERIODS = {"7d": (7, 1), "30d": (30, 24)}  # days shown, hours per bar


async def activity(db: Database, tenant: Tenant, period: str = "7d") -> list[Bar]:
    """Requests and failures per hour over the last 7 days, or per day (UTC) over the
    last 30, oldest first, every bar present (zero where nothing was asked)."""
    days, per = PERIODS[period]
    now = utcnow()
    last = store.hour_of(now) // per * per  # the bar that holds now
    first = last - (days * 24 // per - 1) * per
    async with db.read() as conn:
        counts = await store.hourly_counts(conn, tenant.id, first)
    bars = []
    for start in range(first, last + 1, per):
        requests = failures = 0
        for hour in range(start, start + per):
            n, f = counts.get(hour, (0, 0))
            requests += n
            failures += f
        at = datetime.fromtimestamp(start * 3600, UTC)
        bars.append(Bar(at, at + timedelta(hours=per), requests, failures))
    return bars


def last_seen(at: datetime | None, now: datetime | None = None) -> str:
    if at is None:
        return "never"
    seconds = int(((now or utcnow()) - at).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def explain(entry: Entry) -> dict[str, Any] | None:
    """What a failed request means for an admin, and what to do."""
    status = int(entry["status"])
    detail = (entry.get("error_detail") or "").lower()
    rid = (entry.get("resource_id") or "").lower()
    if status < 400:
        return None
    if status == 409:
        return {
            "title": "Email address already in use",
            "text": "The identity provider tried to create or rename someone with an email "
            "or username that another person in Roster already has.",
            "fix": [
                "If that person was in Roster before SCIM: assign them in Okta with exactly "
                "this email; Okta's lookup then links them (keep 'Link existing people' on).",
                "If that person is deactivated: Free this email (below, or on their page) "
                "gives them a placeholder no one can hold; then retry in Okta.",
                "If both are provisioned by the identity provider: two of its users share "
                "an email; fix the duplicate there.",
                "If the address is one of the other person's other emails (or one of the "
                "sent emails is their work email): a work email belongs to one person "
                "alone, as Roster signs people in and matches them by it; remove the "
                "address from one of them in your identity provider.",
            ],
        }
    if status == 404 and rid in ("none", "null", "undefined"):
        return {
            "title": "Resource None not found",
            "text": "The identity provider asked for a user whose id it never received: it "
            "stored an empty link for this user (often after a failed create or import).",
            "fix": [
                "In Okta, unassign and reassign the user, or run Provisioning > Force Sync, "
                "so that Okta looks the user up by username and stores Roster's id."
            ],
        }
    if status == 404:
        return {
            "title": "Not found",
            "text": "The identity provider asked for an id that Roster does not have (never "
            "created here, or deleted).",
            "fix": [
                "If the person was deleted on purpose, nothing to do. Otherwise reassign the "
                "user in the identity provider so it creates or re-links them."
            ],
        }
    if status == 400 and any(w in detail for w in ("date", "location")):
        return {
            "title": "Start date or location not syncing",
            "text": "A date or location value arrived in a form Roster cannot read.",
            "fix": [
                "Dates: YYYY-MM-DD (ISO 8601 date-times and MM/DD/YYYY are accepted too).",
                'Location: String.join(", ", user.city, user.state, user.countryCode) '
                "with those fields filled.",
                "Check the External namespace is exactly the company extension URN.",
            ],
        }
    if status == 400:
        return {
            "title": "Invalid request",
            "text": "Roster refused the request; the detail names the attribute and the "
            "rule. Nothing was changed.",
            "fix": ["Fix the attribute's mapping or value in the identity provider, then retry."],
        }
    if status == 401:
        return {
            "title": "Not authorised",
            "text": "The token is revoked, or SCIM is disabled for the company.",
            "fix": ["Enable SCIM and generate a new token on the SCIM 2.0 page."],
        }
    if status == 403:
        return {
            "title": "Not allowed",
            "text": "The request touches something the identity provider does not own "
            "(for example a group created in Roster).",
            "fix": ["Change it in Roster instead, or create the group in the identity provider."],
        }
    if status in (412, 429, 503):
        return {
            "title": "Retry",
            "text": "A temporary refusal (changed meanwhile, rate limit or busy database); "
            "the identity provider retries on its own.",
            "fix": ["Nothing to do unless it keeps happening."],
        }
    if status == 413:
        return {
            "title": "Request too large",
            "text": "The body was larger than Roster accepts.",
            "fix": ["Push large groups in smaller batches."],
        }
    return {
        "title": "Unexpected error",
        "text": "Roster failed to handle the request; nothing was changed.",
        "fix": [f"Contact support and quote request id {entry.get('request_id') or '-'}."],
    }
