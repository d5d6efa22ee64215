"""Welcome emails: recorded in the outbox when a person is created and the company's
"send welcome email" setting is on. A mail relay (not part of Roster) sends them; a
start date in the future holds the email until that day, as 15Five does."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store import outbox as store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow

WELCOME = "welcome_email"


def welcome_row(tenant: Tenant, person: dict[str, Any]) -> dict[str, Any] | None:
    email = person.get("email")
    if not email:
        return None
    start: date | None = person.get("start_date")
    return {
        "tenant_id": tenant.id,
        "id": new_id(),
        "kind": WELCOME,
        "recipient": email,
        "payload": {
            "person_id": person["id"],
            "company": tenant.name,
            "given_name": person.get("given_name"),
            "send_after": start.isoformat() if start and start > utcnow().date() else None,
        },
        "created_at": utcnow(),
        "sent_at": None,
    }


async def queue_welcome(
    conn: AsyncConnection, tenant: Tenant, people: Iterable[dict[str, Any]]
) -> int:
    """Inside the creating transaction: one welcome email per new person, if the
    company sends them."""
    if not tenant.setting("send_welcome_email"):
        return 0
    rows = [r for r in (welcome_row(tenant, p) for p in people) if r is not None]
    await store.insert_messages(conn, rows)
    return len(rows)


async def recent(db: Database, tenant: Tenant, limit: int = 20) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return await store.list_messages(conn, tenant.id, limit=limit)
