"""Manage People: searching and paging through a company's people for the console.

Keyset paging (never OFFSET): a page starts after (or before) the sort key of the
row that ended the last one, so page 2,000 of 100,000 people costs what page 1 does.
Sorting by userName uses the unique live index (tenant_id, user_name_lower); "newest"
uses the time-ordered primary key. Every sort ends with the person id, so rows that tie
on the sort value keep one order from page to page.

Sort names map to expressions here (SORTS), never to text from the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.store import people_search
from roster.store.tables import group_members, people

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
    department: str | None = None,
    manager: str | None = None,
    location: str | None = None,
    group: str | None = None,
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
    if department:
        where.append(sa.func.lower(people.c.department) == department.strip().lower())
    if location:
        where.append(sa.func.lower(people.c.location).like(_like(location.strip()), escape="\\"))
    if manager:
        # The manager by their email or id, resolved inside the same statement.
        ref = manager.strip().lower()
        managers = sa.select(people.c.id).where(
            people.c.tenant_id == tenant_id,
            people.c.deleted_at.is_(None),
            sa.or_(
                people.c.email_lower == ref, people.c.user_name_lower == ref, people.c.id == ref
            ),
        )
        where.append(people.c.manager_id.in_(managers.scalar_subquery()))
    if group:
        members = sa.select(group_members.c.person_id).where(
            group_members.c.tenant_id == tenant_id, group_members.c.group_id == group.strip()
        )
        where.append(people.c.id.in_(members.scalar_subquery()))
    if q:
        where.append(_search(tenant_id, q.strip()))
    return where


def _search(tenant_id: int, q: str) -> ColumnElement[bool]:
    """The search box (a part of a name, or a person's id): by an index from three
    characters on (store/people_search.py)."""
    if people_search.indexed(q):
        return people_search.NameSearch(tenant_id, q)
    pattern = _like(q)
    full_name = sa.func.lower(
        sa.func.coalesce(people.c.given_name, "") + " " + sa.func.coalesce(people.c.family_name, "")
    )
    return sa.or_(
        *(
            column.like(pattern, escape="\\")
            for column in (
                people.c.user_name_lower,
                people.c.email_lower,
                full_name,
                sa.func.lower(sa.func.coalesce(people.c.display_name, "")),
                sa.func.lower(sa.func.coalesce(people.c.employee_number, "")),
            )
        ),
        people.c.id == q.lower(),
    )


def _blank_last(column: Any) -> list[tuple[ColumnElement[Any], str]]:
    """People with no value sort after those with one (as spreadsheets do)."""
    blank = sa.case((sa.func.coalesce(column, "") == "", 1), else_=0)
    return [(blank, "int"), (sa.func.lower(sa.func.coalesce(column, "")), "text")]


def _name() -> ColumnElement[Any]:
    """The name the table shows (console/web.py's person_name), lower-cased."""
    full = sa.func.trim(
        sa.func.coalesce(people.c.given_name, "") + " " + sa.func.coalesce(people.c.family_name, "")
    )
    return sa.func.lower(
        sa.func.coalesce(
            sa.func.nullif(people.c.display_name, ""), sa.func.nullif(full, ""), people.c.user_name
        )
    )


def _sort_keys(sort: str) -> list[tuple[ColumnElement[Any], str]]:
    """A sort's key expressions with the kind of each value (for reading a cursor back)."""
    if sort == "newest":
        return []
    if sort == "name":
        return [(_name(), "text")]
    if sort in ("department", "title"):
        return _blank_last(people.c[sort])
    if sort == "start_date":
        blank = sa.case((people.c.start_date.is_(None), 1), else_=0)
        day = sa.func.coalesce(people.c.start_date, sa.literal(date(1970, 1, 1), sa.Date))
        return [(blank, "int"), (day, "date")]
    if sort == "status":
        return [(sa.case((people.c.active.is_(True), 0), else_=1), "int")]
    return [(people.c.user_name_lower, "text")]


SORTS = ("name", "email", "department", "title", "start_date", "status", "newest")


def sort_columns(sort: str) -> list[ColumnElement[Any]]:
    """The keys a row is labelled with in a page: sort values, then the person id."""
    return [expr.label(f"sort_{i}") for i, (expr, _) in enumerate(_sort_keys(sort))]


def cursor_values(sort: str, raw: Sequence[Any]) -> list[Any] | None:
    """A cursor's values (from the URL) in the types its sort compares, or None when it
    is not one (a broken link is a first page, never an error in SQL)."""
    kinds = [kind for _, kind in _sort_keys(sort)] + ["id"]
    if len(raw) != len(kinds):
        return None
    out: list[Any] = []
    try:
        for kind, value in zip(kinds, raw, strict=True):
            if kind == "int":
                out.append(int(value))
            elif kind == "date":
                out.append(date.fromisoformat(str(value)))
            else:
                if not isinstance(value, str) or len(value) > 400 or "\x00" in value:
                    return None
                out.append(value)
    except (TypeError, ValueError):
        return None
    return out


def _beyond(
    keys: list[ColumnElement[Any]], values: list[Any], forward: bool
) -> ColumnElement[bool]:
    """(k1, k2, …) > (v1, v2, …) lexicographically (< when not `forward`), spelled out
    so that SQLite and PostgreSQL read it the same way."""
    head, value = keys[0], values[0]
    strict: ColumnElement[bool] = head > value if forward else head < value
    if len(keys) == 1:
        return strict
    return sa.or_(strict, sa.and_(head == value, _beyond(keys[1:], values[1:], forward)))


def _keys(sort: str) -> list[ColumnElement[Any]]:
    return [expr for expr, _ in _sort_keys(sort)] + [people.c.id]


def before_row(sort: str, descending: bool, values: list[Any]) -> ColumnElement[bool]:
    """Rows that come before the row whose keys are `values` (to count a page's start)."""
    return _beyond(_keys(sort), values, forward=descending)


async def page(
    conn: AsyncConnection,
    where: list[ColumnElement[bool]],
    *,
    sort: str,
    descending: bool = False,
    limit: int,
    after: list[Any] | None = None,
    before: list[Any] | None = None,
    columns: Sequence[Any] = BROWSE_COLUMNS,
) -> list[dict[str, Any]]:
    """`limit` rows after `after` (or, going back, before `before`), in display order;
    `after` and `before` are a row's keys (cursor_values)."""
    keys = _keys(sort)
    source, where = people_search.source(conn.dialect.name, where)
    query = sa.select(*columns, *sort_columns(sort)).select_from(source).where(*where)
    backwards = before is not None and after is None
    if after is not None:
        query = query.where(_beyond(keys, after, forward=not descending))
    elif before is not None:
        query = query.where(_beyond(keys, before, forward=descending))
    ascending = descending == backwards  # scanning direction
    order = [k.asc() if ascending else k.desc() for k in keys]
    rows = [dict(r._mapping) for r in await conn.execute(query.order_by(*order).limit(limit))]
    if backwards:
        rows.reverse()
    return rows


def row_keys(sort: str, row: dict[str, Any]) -> list[Any]:
    """The row's keys for a cursor, JSON-ready."""
    values = [row[f"sort_{i}"] for i in range(len(_sort_keys(sort)))] + [row["id"]]
    return [v.isoformat() if isinstance(v, date) else v for v in values]


async def departments(conn: AsyncConnection, tenant_id: int, limit: int = 300) -> list[str]:
    """The company's departments, for the filter's suggestions."""
    rows = await conn.execute(
        sa.select(people.c.department)
        .where(
            people.c.tenant_id == tenant_id,
            people.c.deleted_at.is_(None),
            people.c.department.is_not(None),
            people.c.department != "",
        )
        .group_by(people.c.department)
        .order_by(people.c.department)
        .limit(limit)
    )
    return [r[0] for r in rows]


async def count(conn: AsyncConnection, where: list[ColumnElement[bool]]) -> int:
    source, where = people_search.source(conn.dialect.name, where)
    query = sa.select(sa.func.count()).select_from(source).where(*where)
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
