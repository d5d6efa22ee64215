"""Messages waiting to be sent (welcome emails). SQL only; every function takes the tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import outbox


async def insert_messages(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(outbox.insert(), list(rows))


async def list_messages(
    conn: AsyncConnection, tenant_id: int, *, limit: int = 50
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(outbox)
        .where(outbox.c.tenant_id == tenant_id)
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
