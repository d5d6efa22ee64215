"""Console users and the sign-in throttle: SQL only. Every function takes the tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import console_users, login_throttle

ConsoleUserRow = dict[str, Any]


async def insert_console_user(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(console_users.insert().values(**values))


async def console_user_by_email(
    conn: AsyncConnection, tenant_id: int, email_lower: str
) -> ConsoleUserRow | None:
    row = (
        await conn.execute(
            sa.select(console_users).where(
                console_users.c.tenant_id == tenant_id,
                console_users.c.email_lower == email_lower,
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def console_user_by_id(
    conn: AsyncConnection, tenant_id: int, user_id: str
) -> ConsoleUserRow | None:
    row = (
        await conn.execute(
            sa.select(console_users).where(
                console_users.c.tenant_id == tenant_id, console_users.c.id == user_id
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def list_console_users(conn: AsyncConnection, tenant_id: int) -> list[ConsoleUserRow]:
    rows = await conn.execute(
        sa.select(console_users)
        .where(console_users.c.tenant_id == tenant_id)
        .order_by(console_users.c.email_lower)
    )
    return [dict(r._mapping) for r in rows]


async def update_console_user(
    conn: AsyncConnection, tenant_id: int, user_id: str, values: dict[str, Any]
) -> None:
    await conn.execute(
        console_users.update()
        .where(console_users.c.tenant_id == tenant_id, console_users.c.id == user_id)
        .values(**values)
    )


async def throttle_row(conn: AsyncConnection, tenant_id: int, key: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(login_throttle).where(
                login_throttle.c.tenant_id == tenant_id, login_throttle.c.key == key
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def save_throttle(
    conn: AsyncConnection,
    tenant_id: int,
    key: str,
    *,
    failures: int,
    window_started_at: datetime,
    locked_until: datetime | None,
) -> None:
    values = {
        "failures": failures,
        "window_started_at": window_started_at,
        "locked_until": locked_until,
    }
    result = await conn.execute(
        login_throttle.update()
        .where(login_throttle.c.tenant_id == tenant_id, login_throttle.c.key == key)
        .values(**values)
    )
    if result.rowcount == 0:
        await conn.execute(login_throttle.insert().values(tenant_id=tenant_id, key=key, **values))


async def clear_throttle(conn: AsyncConnection, tenant_id: int, key: str) -> None:
    await conn.execute(
        login_throttle.delete().where(
            login_throttle.c.tenant_id == tenant_id, login_throttle.c.key == key
        )
    )
