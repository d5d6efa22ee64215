"""People as they are shown: each with their manager's name and email and their groups,
one row per person from one statement; one person by id, or a page of them with its
count. A page's ids are chosen first, so the groups and manager of skipped rows are
never computed. SQL only; every function takes the tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.model.query import BY_ID, Order, Resolved
from roster.store.filtering import compile_filter
from roster.store.people import (
    LIVE,
    PERSON_COLUMNS,
    TENANT,
    THIS_PERSON,
    Person,
    column_for,
    equality,
    sort_column_for,
)
from roster.store.person_values import any_value
from roster.store.prepared import Prepared, memoized
from roster.store.tables import group_members, groups, people

_manager = people.alias("manager")


def _groups_json(database: str) -> Any:
    """A person's groups as one JSON array column (the whole view is one statement)."""
    if database == "postgresql":
        aggregate = sa.func.json_agg(
            sa.func.json_build_object("id", groups.c.id, "display_name", groups.c.display_name)
        )
    else:
        aggregate = sa.func.json_group_array(
            sa.func.json_object("id", groups.c.id, "display_name", groups.c.display_name)
        )
    return (
        sa.select(sa.type_coerce(aggregate, sa.JSON))
        .select_from(
            group_members.join(
                groups,
                sa.and_(
                    groups.c.tenant_id == group_members.c.tenant_id,
                    groups.c.id == group_members.c.group_id,
                ),
            )
        )
        .where(
            group_members.c.tenant_id == people.c.tenant_id,
            group_members.c.person_id == people.c.id,
        )
        .scalar_subquery()
    )


def _view_select(database: str, *, with_groups: bool = True, page: Any = None) -> Any:
    """People with their manager's name and email and their groups, one row each;
    with `page` (a subquery of ids), just those people, found by id."""
    groups_column = (_groups_json(database) if with_groups else sa.null()).label("group_list")
    return sa.select(
        *PERSON_COLUMNS,
        _manager.c.display_name.label("manager_display_name"),
        _manager.c.given_name.label("manager_given_name"),
        _manager.c.family_name.label("manager_family_name"),
        _manager.c.email.label("manager_email"),
        groups_column,
    ).select_from(
        (people if page is None else page.join(people, people.c.id == page.c.id)).outerjoin(
            _manager,
            sa.and_(
                _manager.c.tenant_id == people.c.tenant_id,
                _manager.c.id == people.c.manager_id,
            ),
        )
    )


_VIEW = Prepared(per_database=lambda db: _view_select(db).where(*THIS_PERSON, LIVE))
# The same, locking the person's row (not their manager's) for an update.
_VIEW_FOR_UPDATE = Prepared(
    per_database=lambda db: (
        _view_select(db).where(*THIS_PERSON, LIVE).with_for_update(of=people)
        if db == "postgresql"
        else _view_select(db).where(*THIS_PERSON, LIVE)
    )
)


def _display(given: str | None, family: str | None, display: str | None) -> str | None:
    return display or " ".join(p for p in (given, family) if p) or None


async def get_person_view(
    conn: AsyncConnection, tenant_id: int, person_id: str, *, for_update: bool = False
) -> tuple[Person, list[dict[str, Any]], dict[str, Any] | None] | None:
    """A person with their groups and manager, in one statement."""
    prepared = _VIEW_FOR_UPDATE if for_update else _VIEW
    row = await prepared.first(conn, tenant_id=tenant_id, person_id=person_id)
    return _split_view(row) if row is not None else None


def _split_view(
    values: dict[str, Any],
) -> tuple[Person, list[dict[str, Any]], dict[str, Any] | None]:
    group_list = [g for g in values.pop("group_list") or [] if g and g.get("id")]
    group_list.sort(key=lambda g: (str(g["display_name"]).lower(), g["id"]))
    manager_fields = {
        k: values.pop(f"manager_{k}")
        for k in ("display_name", "given_name", "family_name", "email")
    }
    manager = None
    if values["manager_id"]:
        manager = {
            "id": values["manager_id"],
            "display_name": _display(
                manager_fields["given_name"],
                manager_fields["family_name"],
                manager_fields["display_name"],
            ),
            "email": manager_fields["email"],
        }
    return values, group_list, manager


async def managers(
    conn: AsyncConnection, tenant_id: int, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = await conn.execute(
        sa.select(
            people.c.id,
            people.c.display_name,
            people.c.email,
            people.c.given_name,
            people.c.family_name,
        ).where(people.c.tenant_id == tenant_id, people.c.id.in_(sorted(set(ids))))
    )
    out = {}
    for r in rows:
        display = r.display_name or " ".join(p for p in (r.given_name, r.family_name) if p) or None
        out[r.id] = {"id": r.id, "display_name": display, "email": r.email}
    return out


async def groups_of(
    conn: AsyncConnection, tenant_id: int, person_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The groups of a page of people, in one query."""
    out: dict[str, list[dict[str, Any]]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return out
    rows = await conn.execute(
        sa.select(group_members.c.person_id, groups.c.id, groups.c.display_name)
        .join(
            groups,
            sa.and_(
                groups.c.tenant_id == group_members.c.tenant_id,
                groups.c.id == group_members.c.group_id,
            ),
        )
        .where(group_members.c.tenant_id == tenant_id, group_members.c.person_id.in_(person_ids))
        .order_by(groups.c.display_name_lower, groups.c.id)
    )
    for r in rows:
        out[r.person_id].append({"id": r.id, "display_name": r.display_name})
    return out


def _live(column: str | None) -> list[ColumnElement[bool]]:
    conditions = [people.c.tenant_id == TENANT, LIVE]
    if column is not None:
        conditions.append(people.c[column] == sa.bindparam("value", type_=people.c[column].type))
    return conditions


def _page_ids(
    where: Sequence[ColumnElement[bool]], order_by: Sequence[Any], offset: Any, limit: Any
) -> Any:
    return (
        sa.select(people.c.id)
        .where(*where)
        .order_by(*order_by)
        .offset(offset)
        .limit(limit)
        .subquery("page_ids")
    )


def _view_page(database: str, page_ids: Any, order_by: Sequence[Any], with_groups: bool) -> Any:
    # Joined from the page's ids: each of them is one primary-key probe, whatever the
    # size of the company.
    return (
        _view_select(database, with_groups=with_groups, page=page_ids)
        .where(people.c.tenant_id == TENANT)
        .order_by(*order_by)
    )


def _page_shape(column: str | None, with_groups: bool, keyset: bool) -> Prepared:
    """A page shape identity providers send (no filter, or one equality; id order)."""
    where = _live(column)
    if keyset:
        where.append(people.c.id > sa.bindparam("after_id", type_=sa.String))
    page_ids = _page_ids(
        where,
        [people.c.id],
        sa.bindparam("offset", type_=sa.BigInteger),
        sa.bindparam("limit", type_=sa.BigInteger),
    )
    return Prepared(per_database=lambda db: _view_page(db, page_ids, [people.c.id], with_groups))


def _order_by(order: Order) -> list[ColumnElement[Any]]:
    by_id = people.c.id.desc() if order.descending else people.c.id
    if order.field is None:
        return [by_id]
    column = sort_column_for(order.field)
    nulls_last = column.is_(None)
    return [nulls_last, column.desc() if order.descending else column, by_id]


async def list_people(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    where: Resolved | None,
    order: Order = BY_ID,
    offset: int,
    limit: int,
    after_id: str | None = None,
    with_groups: bool = True,
) -> list[tuple[Person, list[dict[str, Any]], dict[str, Any] | None]]:
    """A page of people with their groups and managers, in one statement. The page's
    ids are chosen first, so the groups and manager of skipped rows are never computed
    (deep startIndex pages stay cheap).

    In id order, no filter or one equality (the shapes identity providers send) runs a
    prepared statement; other filters and orders are built per request."""
    equal = equality(where)
    if order == BY_ID and (where is None or equal is not None):
        values: dict[str, Any] = {"tenant_id": tenant_id, "offset": offset, "limit": limit}
        if equal is not None:
            values["value"] = equal[1]
        if after_id is not None:
            values["after_id"] = after_id
        shape = (equal and equal[0], with_groups, after_id is not None)
        prepared = memoized(("people.page", *shape), lambda: _page_shape(*shape))
        return [_split_view(r) for r in await prepared.all(conn, **values)]
    conditions = [people.c.tenant_id == tenant_id, LIVE]
    if where is not None:
        conditions.append(compile_filter(where, column_for, any_of=any_value))
    if after_id is not None:
        conditions.append(people.c.id > after_id)
    order_by = _order_by(order)
    query = _view_page(
        conn.dialect.name, _page_ids(conditions, order_by, offset, limit), order_by, with_groups
    )
    result = await conn.execute(query, {"tenant_id": tenant_id})
    return [_split_view(dict(r)) for r in result.mappings()]


async def count_people(conn: AsyncConnection, tenant_id: int, *, where: Resolved | None) -> int:
    equal = equality(where)
    if where is None or equal is not None:
        column = equal and equal[0]
        prepared = memoized(
            ("people.count", column),
            lambda: Prepared(sa.select(sa.func.count()).select_from(people).where(*_live(column))),
        )
        values: dict[str, Any] = {"tenant_id": tenant_id}
        if equal is not None:
            values["value"] = equal[1]
        return int(await prepared.scalar(conn, **values))
    query = (
        sa.select(sa.func.count()).select_from(people).where(people.c.tenant_id == tenant_id, LIVE)
    )
    condition = compile_filter(where, column_for, any_of=any_value)
    return int((await conn.execute(query.where(condition))).scalar_one())
