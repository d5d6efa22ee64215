"""The one-time stash of secrets shown once (directory/reveals.py has the rules)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import secret_reveals


async def insert_reveal(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    reveal_id: str,
    session_id: str,
    resource_type: str,
    resource_id: str,
    sealed_secret: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        secret_reveals.insert().values(
            tenant_id=tenant_id,
            id=reveal_id,
            session_id=session_id,
            resource_type=resource_type,
            resource_id=resource_id,
            sealed_secret=sealed_secret,
            expires_at=expires_at,
        )
    )


async def take_reveal(
    conn: AsyncConnection,
    tenant_id: int,
    reveal_id: str,
    *,
    session_id: str,
    resource_type: str,
    resource_id: str,
    now: datetime,
) -> str | None:
    """The sealed secret of a live reveal, deleted as it is read: of two concurrent
    takers only the one whose DELETE removed the row gets it."""
    where = (
        secret_reveals.c.tenant_id == tenant_id,
        secret_reveals.c.id == reveal_id,
        secret_reveals.c.session_id == session_id,
        secret_reveals.c.resource_type == resource_type,
        secret_reveals.c.resource_id == resource_id,
    )
    sealed = (
        await conn.execute(
            sa.select(secret_reveals.c.sealed_secret, secret_reveals.c.expires_at).where(*where)
        )
    ).first()
    if sealed is None:
        return None
    removed = await conn.execute(secret_reveals.delete().where(*where))
    if removed.rowcount != 1 or sealed.expires_at <= now:
        return None
    return str(sealed.sealed_secret)


async def drop_expired(conn: AsyncConnection, tenant_id: int, now: datetime) -> None:
    await conn.execute(
        secret_reveals.delete().where(
            secret_reveals.c.tenant_id == tenant_id, secret_reveals.c.expires_at <= now
        )
    )
