"""Groups for the console: a page of groups with member counts, and a group's members.
SQL only; every function takes the tenant."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import group_members, groups, people


async def page(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    q: str | None,
    source: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    count = (
        sa.select(sa.func.count())
        .where(group_members.c.tenant_id == groups.c.tenant_id)
        .where(group_members.c.group_id == groups.c.id)
        .scalar_subquery()
    )
    query = sa.select(
        groups.c.id,
        groups.c.display_name,
        groups.c.display_name_lower,
        groups.c.group_type,
        groups.c.source,
        groups.c.external_id,
        groups.c.updated_at,
        count.label("member_count"),
    ).where(groups.c.tenant_id == tenant_id)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(groups.c.display_name_lower.like(f"%{escaped}%", escape="\\"))
    if source in ("idp", "roster"):
        query = query.where(groups.c.source == source)
    if after is not None:
        name, gid = after
        query = query.where(
            sa.or_(
                groups.c.display_name_lower > name,
                sa.and_(groups.c.display_name_lower == name, groups.c.id > gid),
            )
        )
    query = query.order_by(groups.c.display_name_lower, groups.c.id).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def count(conn: AsyncConnection, tenant_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(groups).where(groups.c.tenant_id == tenant_id)
    return int((await conn.execute(query)).scalar_one())


async def members(
    conn: AsyncConnection, tenant_id: int, group_id: str, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(
            people.c.id,
            people.c.user_name,
            people.c.email,
            people.c.given_name,
            people.c.family_name,
            people.c.display_name,
            people.c.active,
        )
        .join(
            group_members,
            sa.and_(
                group_members.c.tenant_id == people.c.tenant_id,
                group_members.c.person_id == people.c.id,
            ),
        )
        .where(group_members.c.tenant_id == tenant_id, group_members.c.group_id == group_id)
        .order_by(people.c.user_name_lower)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def choices(conn: AsyncConnection, tenant_id: int, limit: int = 300) -> list[dict[str, Any]]:
    """Groups by name, for a filter's choices (no member counts: cheap at any size)."""
    rows = await conn.execute(
        sa.select(groups.c.id, groups.c.display_name)
        .where(groups.c.tenant_id == tenant_id)
        .order_by(groups.c.display_name_lower, groups.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
