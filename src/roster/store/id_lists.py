"""A list of ids as ONE statement parameter (a PostgreSQL array, a JSON array on
SQLite), so a statement over a list costs the same shape whatever its length."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

# Lists longer than this are staged in an indexed temporary table on PostgreSQL, so
# that set operations against them stay O(n log n) whatever the planner estimates for
# an unnest() (it assumes 100 rows).
STAGE_ABOVE = 1000
_staged = sa.table("roster_staged_ids", sa.column("id", sa.String))


def id_list(conn: AsyncConnection, ids: Sequence[str]) -> sa.Subquery:
    """A one-column (`id`) table of the given ids, bound as a single parameter."""
    if conn.dialect.name == "postgresql":
        param = sa.bindparam("id_list", list(ids), type_=postgresql.ARRAY(sa.String))
        return sa.select(sa.func.unnest(param).label("id")).subquery()
    each = sa.func.json_each(sa.bindparam("id_list", json.dumps(list(ids)))).table_valued("value")
    return sa.select(each.c.value.label("id")).subquery()


def ids_table(database: str) -> sa.Subquery:
    """id_list's table for a prepared statement: the list is the `ids` parameter."""
    if database == "postgresql":
        param = sa.bindparam("ids", type_=postgresql.ARRAY(sa.String))
        return sa.select(sa.func.unnest(param).label("id")).subquery()
    each = sa.func.json_each(sa.bindparam("ids", type_=sa.String)).table_valued("value")
    return sa.select(each.c.value.label("id")).subquery()


def ids_in(database: str, column: Any) -> ColumnElement[bool]:
    """`column IN ids` for a prepared statement (the list is the `ids` parameter)."""
    if database == "postgresql":
        param = sa.bindparam("ids", type_=postgresql.ARRAY(sa.String))
        return cast(ColumnElement[bool], column == sa.any_(param))
    return cast(ColumnElement[bool], column.in_(sa.select(ids_table(database).c.id)))


def ids_value(conn: AsyncConnection, ids: Sequence[str]) -> Any:
    """The `ids` parameter's value: an array on PostgreSQL, JSON text on SQLite."""
    return list(ids) if conn.dialect.name == "postgresql" else json.dumps(list(ids))


async def id_set(conn: AsyncConnection, ids: Sequence[str]) -> sa.Subquery:
    """Like id_list, for lists compared against large tables: on PostgreSQL a long list
    goes into an indexed temporary table first (one statement more)."""
    if conn.dialect.name != "postgresql" or len(ids) <= STAGE_ABOVE:
        return id_list(conn, ids)
    await conn.execute(
        sa.text(
            "CREATE TEMP TABLE IF NOT EXISTS roster_staged_ids "
            "(id varchar(64) PRIMARY KEY) ON COMMIT DELETE ROWS"
        )
    )
    await conn.execute(sa.text("DELETE FROM roster_staged_ids"))
    wanted = id_list(conn, ids)
    await conn.execute(
        postgresql.insert(_staged)
        .from_select(["id"], sa.select(wanted.c.id).distinct())
        .on_conflict_do_nothing()
    )
    await conn.execute(sa.text("ANALYZE roster_staged_ids"))
    return sa.select(_staged.c.id).subquery()
