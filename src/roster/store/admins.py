"""Console users and sign-in attempts: SQL only. Every console-user function takes the
tenant; sign-in attempts are keyed across companies (an address is one address)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import console_users, sign_in_attempts

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


async def lock_console_users(conn: AsyncConnection, tenant_id: int) -> list[ConsoleUserRow]:
    """The company's admins, locked for this transaction (FOR UPDATE on PostgreSQL; on
    SQLite the write transaction is the one writer already): a rule over all of them,
    such as "one Account Admin who can sign in remains", is checked and written without
    a concurrent change slipping between."""
    rows = await conn.execute(
        sa.select(console_users)
        .where(console_users.c.tenant_id == tenant_id)
        .order_by(console_users.c.id)
        .with_for_update()
    )
    return [dict(r._mapping) for r in rows]


async def delete_console_user(conn: AsyncConnection, tenant_id: int, user_id: str) -> None:
    await conn.execute(
        console_users.delete().where(
            console_users.c.tenant_id == tenant_id, console_users.c.id == user_id
        )
    )


async def locked_keys(
    conn: AsyncConnection, keys: list[str], *, now: datetime, limit: int, window: timedelta
) -> dict[str, datetime]:
    """Of these sign-in attempt keys, those whose next attempt reserve_attempt would
    refuse, with when that ends: a lock, or a window that has used up its attempts (the
    refusal that locks rolls back with the sign-in, so the count alone can say it)."""
    if not keys:
        return {}
    t = sign_in_attempts.c
    rows = await conn.execute(
        sa.select(t.key, t.locked_until, t.window_started_at).where(
            t.key.in_(keys),
            sa.or_(
                t.locked_until > now,
                sa.and_(
                    t.locked_until.is_(None),
                    t.window_started_at >= now - window,
                    t.attempts >= limit,
                ),
            ),
        )
    )
    return {r.key: r.locked_until or r.window_started_at + window for r in rows}


async def update_console_user(
    conn: AsyncConnection, tenant_id: int, user_id: str, values: dict[str, Any]
) -> None:
    await conn.execute(
        console_users.update()
        .where(console_users.c.tenant_id == tenant_id, console_users.c.id == user_id)
        .values(**values)
    )


async def reserve_attempt(
    conn: AsyncConnection,
    key: str,
    *,
    limit: int,
    now: datetime,
    window: timedelta,
    lockout: timedelta,
) -> datetime | None:
    """Count one sign-in attempt under `key` before anything is verified; returns when
    the key is locked until (None: this attempt may be evaluated).

    One upsert that counts and answers, so of any number of concurrent attempts (any
    worker, any machine) at most `limit` per window come back unlocked: the row lock
    the upsert takes orders them. The attempt past the limit locks the key for
    `lockout`; attempts while locked are not counted, and the first one after the lock
    or the window ends starts a new window."""
    t = sign_in_attempts.c
    locked = t.locked_until > now
    fresh = sa.or_(t.window_started_at < now - window, t.locked_until <= now)
    values = {"key": key, "attempts": 1, "window_started_at": now, "locked_until": None}
    changes = {
        "attempts": sa.case((locked, t.attempts), (fresh, 1), else_=t.attempts + 1),
        "window_started_at": sa.case(
            (locked, t.window_started_at), (fresh, now), else_=t.window_started_at
        ),
        "locked_until": sa.case(
            (locked, t.locked_until),
            (fresh, sa.null()),
            (t.attempts + 1 > limit, now + lockout),
            else_=sa.null(),
        ),
    }
    insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(sign_in_attempts)
        .values(**values)
        .on_conflict_do_update(index_elements=[t.key], set_=changes)
        .returning(t.locked_until)
    )
    locked_until: datetime | None = (await conn.execute(statement)).scalar_one()
    return locked_until if locked_until is not None and locked_until > now else None


async def release_attempt(conn: AsyncConnection, key: str) -> None:
    """Give back a reserved attempt that succeeded (an office behind one address signs
    in all day; only failures should lock it)."""
    t = sign_in_attempts.c
    await conn.execute(
        sign_in_attempts.update()
        .where(t.key == key, t.attempts > 0, t.locked_until.is_(None))
        .values(attempts=t.attempts - 1)
    )


async def clear_attempts(conn: AsyncConnection, key: str) -> None:
    await conn.execute(sign_in_attempts.delete().where(sign_in_attempts.c.key == key))
