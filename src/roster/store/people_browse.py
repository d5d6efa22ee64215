"""Manage People: searching and paging through a company's people for the console.

Keyset paging (never OFFSET): a page starts after (or before) the sort key of the
row that ended the last one, so page 2,000 of 100,000 people costs what page 1 does.
Sorting by userName uses the unique live index (tenant_id, user_name_lower); "newest"
uses the time-ordered primary key.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.store.tables import people

BROWSE_COLUMNS = [
    people.c.id,
    people.c.number,
    people.c.user_name,
    people.c.user_name_lower,
    people.c.email,
    people.c.given_name,
    people.c.family_name,
    people.c.display_name,
    people.c.title,
    people.c.department,
    people.c.active,
    people.c.source,
    people.c.idp_linked_at,
    people.c.manager_id,
    people.c.manager_pending,
    people.c.deleted_at,
    people.c.created_at,
]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions(
    tenant_id: int,
    *,
    q: str | None = None,
    status: str | None = None,
    linked: str | None = None,
    source: str | None = None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [people.c.tenant_id == tenant_id]
    if status == "deleted":
        where.append(people.c.deleted_at.is_not(None))
    else:
        where.append(people.c.deleted_at.is_(None))
        if status == "active":
            where.append(people.c.active.is_(True))
        elif status == "deactivated":
            where.append(people.c.active.is_(False))
    if linked == "yes":
        where.append(people.c.idp_linked_at.is_not(None))
    elif linked == "no":
        where.append(people.c.idp_linked_at.is_(None))
    if source:
        where.append(people.c.source == source)
    if q:
        pattern = _like(q.strip())
        full_name = sa.func.lower(
            sa.func.coalesce(people.c.given_name, "")
            + " "
            + sa.func.coalesce(people.c.family_name, "")
        )
        where.append(
            sa.or_(
                people.c.user_name_lower.like(pattern, escape="\\"),
                people.c.email_lower.like(pattern, escape="\\"),
                full_name.like(pattern, escape="\\"),
                sa.func.lower(sa.func.coalesce(people.c.display_name, "")).like(
                    pattern, escape="\\"
                ),
                sa.func.lower(sa.func.coalesce(people.c.employee_number, "")).like(
                    pattern, escape="\\"
                ),
                people.c.id == q.strip().lower(),
            )
        )
    return where


def sort_key(sort: str) -> tuple[Any, bool]:
    """(column, descending)."""
    if sort == "newest":
        return people.c.id, True
    return people.c.user_name_lower, False


async def page(
    conn: AsyncConnection,
    where: list[ColumnElement[bool]],
    *,
    sort: str,
    limit: int,
    after: str | None = None,
    before: str | None = None,
) -> list[dict[str, Any]]:
    """`limit` rows after `after` (or, going back, before `before`), in display order."""
    column, descending = sort_key(sort)
    query = sa.select(*BROWSE_COLUMNS).where(*where)
    backwards = before is not None and after is None
    if after is not None:
        query = query.where(column < after if descending else column > after)
    elif before is not None:
        query = query.where(column > before if descending else column < before)
    ascending = descending == backwards  # scanning direction
    order = [
        column.asc() if ascending else column.desc(),
        people.c.id.asc() if ascending else people.c.id.desc(),
    ]
    rows = [dict(r._mapping) for r in await conn.execute(query.order_by(*order).limit(limit))]
    if backwards:
        rows.reverse()
    return rows


async def count(conn: AsyncConnection, where: list[ColumnElement[bool]]) -> int:
    query = sa.select(sa.func.count()).select_from(people).where(*where)
    return int((await conn.execute(query)).scalar_one())


async def reports_of(
    conn: AsyncConnection, tenant_id: int, person_id: str, limit: int = 100
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(*BROWSE_COLUMNS)
        .where(
            people.c.tenant_id == tenant_id,
            people.c.manager_id == person_id,
            people.c.deleted_at.is_(None),
        )
        .order_by(people.c.user_name_lower)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def count_reports(conn: AsyncConnection, tenant_id: int, person_id: str) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(people)
        .where(
            people.c.tenant_id == tenant_id,
            people.c.manager_id == person_id,
            people.c.deleted_at.is_(None),
        )
    )
    return int((await conn.execute(query)).scalar_one())
