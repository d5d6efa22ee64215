"""Groups and membership. Membership is a set in a table, changed with set SQL: a
list of ids travels as ONE parameter (store/id_lists: a PostgreSQL array, a JSON array
on SQLite), so adding one member costs the same in a group of ten or of a hundred
thousand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.model.errors import DirectoryError
from roster.model.query import Field, FieldCompare, Order, Resolved
from roster.store.filtering import compile_filter
from roster.store.id_lists import STAGE_ABOVE, id_set, ids_in, ids_table, ids_value
from roster.store.prepared import Prepared, memoized, value_args, value_binds
from roster.store.tables import group_members, groups, people

Group = dict[str, Any]
LIVE_PERSON = people.c.deleted_at.is_(None)


def column_for(f: Field) -> ColumnElement[Any]:
    return groups.c[f.name]


def member_filter(tenant_id: int) -> Any:
    """`members eq "id"` / `members[value eq "id"]` as an EXISTS (Entra checks
    membership this way)."""

    def special(expr: FieldCompare) -> ColumnElement[bool] | None:
        if expr.field.name != "member":
            return None
        if expr.op != "eq" or not isinstance(expr.value, str):
            raise DirectoryError(
                "invalid_filter", "members can only be filtered with eq and a person id"
            )
        return sa.exists().where(
            group_members.c.tenant_id == tenant_id,
            group_members.c.group_id == groups.c.id,
            group_members.c.person_id == expr.value,
        )

    return special


GROUP_COLUMNS = list(groups.c)


async def insert_group(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(groups.insert().values(**values))


_THIS_GROUP = (
    groups.c.tenant_id == sa.bindparam("tenant_id", type_=sa.Integer),
    groups.c.id == sa.bindparam("group_id", type_=sa.String),
)
_GET_GROUP = sa.select(*GROUP_COLUMNS).where(*_THIS_GROUP)
_GROUP = Prepared(_GET_GROUP)
_GROUP_FOR_UPDATE = Prepared(
    per_database=lambda db: _GET_GROUP.with_for_update() if db == "postgresql" else _GET_GROUP
)


async def get_group(
    conn: AsyncConnection, tenant_id: int, group_id: str, *, for_update: bool = False
) -> Group | None:
    prepared = _GROUP_FOR_UPDATE if for_update else _GROUP
    return await prepared.first(conn, tenant_id=tenant_id, group_id=group_id)


async def group_by_exact_name(conn: AsyncConnection, tenant_id: int, name: str) -> Group | None:
    row = (
        await conn.execute(
            sa.select(*GROUP_COLUMNS)
            .where(
                groups.c.tenant_id == tenant_id,
                groups.c.display_name_lower == name.lower(),
                groups.c.display_name == name,
            )
            .order_by(groups.c.created_at, groups.c.id)
            .limit(1)
        )
    ).first()
    return dict(row._mapping) if row else None


async def update_group(
    conn: AsyncConnection, tenant_id: int, group_id: str, values: dict[str, Any]
) -> Group | None:
    """Writes the values (and a new version); returns the group as written (None if
    there is no such group)."""
    columns = tuple(sorted(values))
    prepared = memoized(
        ("groups.update", columns),
        lambda: Prepared(
            groups.update()
            .where(
                groups.c.tenant_id == sa.bindparam("key_tenant_id", type_=sa.Integer),
                groups.c.id == sa.bindparam("key_group_id", type_=sa.String),
            )
            .values({**value_binds(groups, columns), "version": groups.c.version + 1})
            .returning(*GROUP_COLUMNS)
        ),
    )
    return await prepared.first(
        conn,
        key_tenant_id=tenant_id,
        key_group_id=group_id,
        **value_args(values),
    )


async def delete_group(conn: AsyncConnection, tenant_id: int, group_id: str) -> None:
    await conn.execute(
        group_members.delete().where(
            group_members.c.tenant_id == tenant_id, group_members.c.group_id == group_id
        )
    )
    await conn.execute(
        groups.delete().where(groups.c.tenant_id == tenant_id, groups.c.id == group_id)
    )


_COUNT_LIVE = Prepared(
    per_database=lambda db: sa.select(sa.func.count()).where(
        people.c.tenant_id == sa.bindparam("tenant_id", type_=sa.Integer),
        ids_in(db, people.c.id),
        LIVE_PERSON,
    )
)


async def unknown_people(
    conn: AsyncConnection, tenant_id: int, ids: Sequence[str], limit: int = 5
) -> list[str]:
    """Which of these ids are not live people of this company (a few, for the error)."""
    if not ids:
        return []
    distinct = sorted(set(ids))
    found = await _COUNT_LIVE.scalar(conn, tenant_id=tenant_id, ids=ids_value(conn, distinct))
    if found == len(distinct):
        return []
    wanted = await id_set(conn, distinct)
    known = sa.select(people.c.id).where(
        people.c.tenant_id == tenant_id, people.c.id == wanted.c.id, LIVE_PERSON
    )
    rows = await conn.execute(sa.select(wanted.c.id).where(~known.exists()).limit(limit))
    return [r[0] for r in rows]


def _add_members(database: str) -> Any:
    wanted = ids_table(database)
    source = (
        sa.select(
            sa.bindparam("tenant_id", type_=sa.Integer),
            sa.bindparam("group_id", type_=sa.String),
            wanted.c.id,
        )
        .where(sa.true())
        .distinct()
    )
    insert = postgresql.insert if database == "postgresql" else sqlite.insert
    return (
        insert(group_members)
        .from_select(["tenant_id", "group_id", "person_id"], source)
        .on_conflict_do_nothing()
        .returning(group_members.c.person_id)
    )


_ADD_MEMBERS = Prepared(per_database=_add_members)
# One member out (Okta's `members[value eq "…"]`): the whole key as the index
# condition. Given a list, PostgreSQL may instead read the group's members and filter
# them by the list when it believes the group small, as it does for a group created
# since the table was last analyzed.
_REMOVE_MEMBER = Prepared(
    group_members.delete()
    .where(
        group_members.c.tenant_id == sa.bindparam("tenant_id", type_=sa.Integer),
        group_members.c.group_id == sa.bindparam("group_id", type_=sa.String),
        group_members.c.person_id == sa.bindparam("person_id", type_=sa.String),
    )
    .returning(group_members.c.person_id)
)
_REMOVE_MEMBERS = Prepared(
    per_database=lambda db: (
        group_members.delete()
        .where(
            group_members.c.tenant_id == sa.bindparam("tenant_id", type_=sa.Integer),
            group_members.c.group_id == sa.bindparam("group_id", type_=sa.String),
            ids_in(db, group_members.c.person_id),
        )
        .returning(group_members.c.person_id)
    )
)


# Membership changes answer with the ids they changed (RETURNING): the audit counts them
# and the events name them.


async def add_members(
    conn: AsyncConnection, tenant_id: int, group_id: str, ids: Sequence[str]
) -> list[str]:
    """The ids that became members (those that already were are not among them)."""
    if not ids:
        return []
    rows = await _ADD_MEMBERS.all(
        conn, tenant_id=tenant_id, group_id=group_id, ids=ids_value(conn, ids)
    )
    return [r["person_id"] for r in rows]


async def remove_members(
    conn: AsyncConnection, tenant_id: int, group_id: str, ids: Sequence[str]
) -> list[str]:
    """The ids that were members and are no longer."""
    if not ids:
        return []
    if len(ids) == 1:
        rows = await _REMOVE_MEMBER.all(
            conn, tenant_id=tenant_id, group_id=group_id, person_id=ids[0]
        )
        return [r["person_id"] for r in rows]
    if len(ids) <= STAGE_ABOVE:
        rows = await _REMOVE_MEMBERS.all(
            conn, tenant_id=tenant_id, group_id=group_id, ids=ids_value(conn, ids)
        )
        return [r["person_id"] for r in rows]
    wanted = await id_set(conn, ids)
    result = await conn.execute(
        group_members.delete()
        .where(
            group_members.c.tenant_id == tenant_id,
            group_members.c.group_id == group_id,
            group_members.c.person_id.in_(sa.select(wanted.c.id)),
        )
        .returning(group_members.c.person_id)
    )
    return list(result.scalars())


async def remove_all_members(conn: AsyncConnection, tenant_id: int, group_id: str) -> list[str]:
    result = await conn.execute(
        group_members.delete()
        .where(group_members.c.tenant_id == tenant_id, group_members.c.group_id == group_id)
        .returning(group_members.c.person_id)
    )
    return list(result.scalars())


async def replace_members(
    conn: AsyncConnection, tenant_id: int, group_id: str, ids: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The membership becomes exactly `ids`: (ids added, ids removed)."""
    if not ids:
        return [], await remove_all_members(conn, tenant_id, group_id)
    wanted = await id_set(conn, ids)
    removed = await conn.execute(
        group_members.delete()
        .where(
            group_members.c.tenant_id == tenant_id,
            group_members.c.group_id == group_id,
            ~sa.exists().where(wanted.c.id == group_members.c.person_id),
        )
        .returning(group_members.c.person_id)
    )
    gone = list(removed.scalars())
    return await add_members(conn, tenant_id, group_id, ids), gone


async def member_ids(conn: AsyncConnection, tenant_id: int, group_id: str) -> list[str]:
    rows = await conn.execute(
        sa.select(group_members.c.person_id)
        .where(group_members.c.tenant_id == tenant_id, group_members.c.group_id == group_id)
        .order_by(group_members.c.person_id)
    )
    return [r[0] for r in rows]


async def members_of(
    conn: AsyncConnection, tenant_id: int, group_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The members of a page of groups, in one query."""
    out: dict[str, list[dict[str, Any]]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return out
    rows = await conn.execute(
        sa.select(
            group_members.c.group_id,
            people.c.id,
            people.c.display_name,
            people.c.user_name,
        )
        .join(
            people,
            sa.and_(
                people.c.tenant_id == group_members.c.tenant_id,
                people.c.id == group_members.c.person_id,
            ),
        )
        .where(group_members.c.tenant_id == tenant_id, group_members.c.group_id.in_(group_ids))
        .order_by(group_members.c.group_id, group_members.c.person_id)
    )
    for r in rows:
        out[r.group_id].append({"id": r.id, "display": r.display_name or r.user_name})
    return out


async def member_counts(
    conn: AsyncConnection, tenant_id: int, group_ids: Sequence[str]
) -> dict[str, int]:
    if not group_ids:
        return {}
    rows = await conn.execute(
        sa.select(group_members.c.group_id, sa.func.count())
        .where(group_members.c.tenant_id == tenant_id, group_members.c.group_id.in_(group_ids))
        .group_by(group_members.c.group_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def _filter_column(f: Field) -> ColumnElement[Any]:
    # displayName compares without regard to case: its lower-cased, indexed column.
    return groups.c.display_name_lower if f.name == "display_name" else column_for(f)


def _where(tenant_id: int, where: Resolved | None) -> ColumnElement[bool] | None:
    if where is None:
        return None
    return compile_filter(where, _filter_column, member_filter(tenant_id))


def _order_by(order: Order) -> list[ColumnElement[Any]]:
    by_id = groups.c.id.desc() if order.descending else groups.c.id
    if order.field is None:
        return [by_id]
    column = _filter_column(order.field)
    return [column.desc() if order.descending else column, by_id]


async def list_groups(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    where: Resolved | None,
    order: Order,
    offset: int,
    limit: int,
    after_id: str | None = None,
) -> list[Group]:
    query = sa.select(*GROUP_COLUMNS).where(groups.c.tenant_id == tenant_id)
    condition = _where(tenant_id, where)
    if condition is not None:
        query = query.where(condition)
    if after_id is not None:
        query = query.where(groups.c.id > after_id)
    query = query.order_by(*_order_by(order)).offset(offset).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def count_groups(conn: AsyncConnection, tenant_id: int, *, where: Resolved | None) -> int:
    query = sa.select(sa.func.count()).select_from(groups).where(groups.c.tenant_id == tenant_id)
    condition = _where(tenant_id, where)
    if condition is not None:
        query = query.where(condition)
    return int((await conn.execute(query)).scalar_one())
