"""One-time set-password links of console admins (invitations, password resets): SQL
only. Every function takes the tenant, except the lookup by token digest, which is how
a link names its company."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import admin_links

LinkRow = dict[str, Any]


async def replace_link(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """The admin's new link; any link of theirs not used yet stops working."""
    t = admin_links.c
    await conn.execute(
        admin_links.delete().where(
            t.tenant_id == values["tenant_id"],
            t.console_user_id == values["console_user_id"],
            t.used_at.is_(None),
        )
    )
    await conn.execute(admin_links.insert().values(**values))


async def delete_links(conn: AsyncConnection, tenant_id: int, user_id: str) -> None:
    t = admin_links.c
    await conn.execute(
        admin_links.delete().where(t.tenant_id == tenant_id, t.console_user_id == user_id)
    )


async def open_links(conn: AsyncConnection, tenant_id: int) -> dict[str, LinkRow]:
    """Each admin's link not used yet (expired ones too), by admin id."""
    t = admin_links.c
    rows = await conn.execute(
        sa.select(admin_links).where(t.tenant_id == tenant_id, t.used_at.is_(None))
    )
    return {r.console_user_id: dict(r._mapping) for r in rows}


async def link_by_digest(conn: AsyncConnection, token_hash: str) -> LinkRow | None:
    row = (
        await conn.execute(sa.select(admin_links).where(admin_links.c.token_hash == token_hash))
    ).first()
    return dict(row._mapping) if row else None


async def use_link(conn: AsyncConnection, token_hash: str, now: datetime) -> LinkRow | None:
    """Mark the link used if it is still unused and unexpired, in one statement (two
    submissions of one link: one wins); the link, or None."""
    t = admin_links.c
    row = (
        await conn.execute(
            admin_links.update()
            .where(t.token_hash == token_hash, t.used_at.is_(None), t.expires_at > now)
            .values(used_at=now)
            .returning(*admin_links.c)
        )
    ).first()
    return dict(row._mapping) if row else None
