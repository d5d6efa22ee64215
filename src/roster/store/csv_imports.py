"""Uploaded CSV files between preview and apply. SQL only; every function takes the tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import csv_imports


async def insert_import(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(csv_imports.insert().values(**values))


async def get_import(
    conn: AsyncConnection, tenant_id: int, import_id: str
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(csv_imports).where(
                csv_imports.c.tenant_id == tenant_id, csv_imports.c.id == import_id
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def mark_applied(
    conn: AsyncConnection, tenant_id: int, import_id: str, at: datetime, summary: dict[str, Any]
) -> None:
    await conn.execute(
        csv_imports.update()
        .where(csv_imports.c.tenant_id == tenant_id, csv_imports.c.id == import_id)
        .values(applied_at=at, summary=summary)
    )


async def recent_imports(
    conn: AsyncConnection, tenant_id: int, limit: int = 10
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(
            csv_imports.c.id,
            csv_imports.c.file_name,
            csv_imports.c.created_by,
            csv_imports.c.created_at,
            csv_imports.c.applied_at,
            csv_imports.c.summary,
        )
        .where(csv_imports.c.tenant_id == tenant_id)
        .order_by(csv_imports.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
