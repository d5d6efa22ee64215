"""People: SQL only. Every function takes the tenant.

A person's row written and read (inserted, read by id, found by userName or email,
updated only at the version the writer read, tombstoned and restored), and the column
behind each filterable field. People shown with their groups and manager, and pages of
them, are person_views.py; managers and their reports are manager_links.py.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.model.query import Field, FieldCompare, Resolved
from roster.store.person_values import WITH_PEOPLE, insert_rows, replace_values, rows_for
from roster.store.prepared import Prepared, memoized, value_args, value_binds
from roster.store.tables import group_members, people, person_values

Person = dict[str, Any]

PERSON_COLUMNS = [c for c in people.c if c.name != "password_hash"]
LIVE = people.c.deleted_at.is_(None)

_FIELD_COLUMNS: dict[str, ColumnElement[Any]] = {
    "user_name": people.c.user_name_lower,
    "email": people.c.email_lower,
}


def column_for(f: Field) -> ColumnElement[Any]:
    """The SQL expression behind a filterable field (the whitelist)."""
    if f.name.startswith("custom:"):
        element = people.c.custom[f.name.split(":", 1)[1]]
        if f.kind == "boolean":
            return cast(ColumnElement[Any], element.as_boolean())
        if f.kind in ("decimal", "integer"):
            return cast(ColumnElement[Any], element.as_float())
        return cast(ColumnElement[Any], element.as_string())
    if f.name in _FIELD_COLUMNS:
        return _FIELD_COLUMNS[f.name]
    return people.c[f.name]


def sort_column_for(f: Field) -> ColumnElement[Any]:
    if f.name == "user_name":
        return people.c.user_name_lower
    if f.name == "email":
        return people.c.email_lower
    return column_for(f)


def equality(expr: Resolved | None) -> tuple[str, str] | None:
    """(column, value) when a filter is `attribute eq "text"` on a plain column: the
    shape of every identity provider's lookup (userName, externalId, email). The
    value is compared exactly as compile_filter would compare it."""
    if not isinstance(expr, FieldCompare) or expr.op != "eq" or not isinstance(expr.value, str):
        return None
    if expr.field.kind != "string" or expr.field.name.startswith("custom:"):
        return None
    column = column_for(expr.field)
    if not isinstance(column, sa.Column):
        return None
    if expr.field.case_exact:
        return column.name, expr.value
    if column.name.endswith("_lower"):
        return column.name, expr.value.lower()
    return None


TENANT: sa.BindParameter[int] = sa.bindparam("tenant_id", type_=sa.Integer)
PERSON: sa.BindParameter[str] = sa.bindparam("person_id", type_=sa.String)
THIS_PERSON = (people.c.tenant_id == TENANT, people.c.id == PERSON)


async def insert_person(conn: AsyncConnection, values: dict[str, Any]) -> Person:
    """Inserts a person and returns them as stored."""
    columns = tuple(sorted(values))
    prepared = memoized(
        ("people.insert", columns),
        lambda: Prepared(
            people.insert().values(value_binds(people, columns)).returning(*PERSON_COLUMNS)
        ),
    )
    row = await prepared.first(conn, **value_args(values))
    assert row is not None
    await insert_rows(conn, rows_for(row["tenant_id"], row))
    return row


_GET_PERSON = sa.select(*PERSON_COLUMNS).where(*THIS_PERSON, LIVE)
_PERSON = Prepared(_GET_PERSON)
_PERSON_FOR_UPDATE = Prepared(
    per_database=lambda db: _GET_PERSON.with_for_update() if db == "postgresql" else _GET_PERSON
)


async def get_person(
    conn: AsyncConnection, tenant_id: int, person_id: str, *, for_update: bool = False
) -> Person | None:
    prepared = _PERSON_FOR_UPDATE if for_update else _PERSON
    return await prepared.first(conn, tenant_id=tenant_id, person_id=person_id)


async def get_any_person(conn: AsyncConnection, tenant_id: int, person_id: str) -> Person | None:
    """Including tombstones (for an admin's restore)."""
    row = (
        await conn.execute(
            sa.select(*PERSON_COLUMNS).where(
                people.c.tenant_id == tenant_id, people.c.id == person_id
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def password_hash(conn: AsyncConnection, tenant_id: int, person_id: str) -> str | None:
    return (
        await conn.execute(
            sa.select(people.c.password_hash).where(
                people.c.tenant_id == tenant_id, people.c.id == person_id, LIVE
            )
        )
    ).scalar_one_or_none()


async def holder_of(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    user_name: str | None,
    email: str | None,
    excluding: str | None = None,
) -> list[Person]:
    """Live people holding this userName or email (compared without case)."""
    if not user_name and not email:
        return []
    prepared = _HOLDERS[(bool(user_name), bool(email), bool(excluding))]
    values = {"tenant_id": tenant_id, "excluding": excluding}
    if user_name:
        values["user_name"] = user_name.lower()
    if email:
        values["email"] = email.lower()
    rows = await prepared.all(conn, **values)
    return list({row["id"]: row for row in rows}.values())  # one person may hold both


def _holders(by_user_name: bool, by_email: bool, excluding: bool) -> Prepared:
    """One lookup per key, each on its own unique index, glued by UNION ALL. (With an
    OR of the two, SQLite and a never-analyzed PostgreSQL both read every person of the
    company on each create and each rename.)"""
    keys = []
    if by_user_name:
        keys.append(people.c.user_name_lower == sa.bindparam("user_name"))
    if by_email:
        keys.append(people.c.email_lower == sa.bindparam("email"))
    lookups = []
    for key in keys:
        query = sa.select(*PERSON_COLUMNS).where(people.c.tenant_id == TENANT, LIVE, key)
        if excluding:
            query = query.where(people.c.id != sa.bindparam("excluding"))
        lookups.append(query)
    return Prepared(lookups[0] if len(lookups) == 1 else sa.union_all(*lookups))


async def email_holders(
    conn: AsyncConnection,
    tenant_id: int,
    addresses: list[str],
    *,
    excluding: str | None,
    as_primary: bool,
) -> list[Person]:
    """Live people other than `excluding` with one of these addresses (compared without
    case) among their emails, or, with `as_primary`, as their primary email. One probe
    of ix_person_values_value per address."""
    if not addresses:
        return []
    query = (
        sa.select(*PERSON_COLUMNS)
        .select_from(WITH_PEOPLE)
        .where(
            person_values.c.tenant_id == tenant_id,
            person_values.c.kind == "email",
            person_values.c.value_lower.in_(sorted({a.lower() for a in addresses})),
            LIVE,
        )
    )
    if excluding is not None:
        query = query.where(person_values.c.person_id != excluding)
    if as_primary:
        query = query.where(people.c.email_lower == person_values.c.value_lower)
    rows = [dict(r._mapping) for r in await conn.execute(query)]
    return list({row["id"]: row for row in rows}.values())


_HOLDERS = {
    (u, e, x): _holders(u, e, x)
    for u in (True, False)
    for e in (True, False)
    for x in (True, False)
    if u or e
}


async def update_person(
    conn: AsyncConnection,
    tenant_id: int,
    person_id: str,
    values: dict[str, Any],
    *,
    expected_version: int,
) -> Person | None:
    """Conditional write: applies only if the version is still `expected_version`.
    Returns the person as written, or None if the version had moved on."""
    columns = tuple(sorted(values))
    prepared = memoized(
        ("people.update", columns),
        lambda: Prepared(
            people.update()
            .where(
                people.c.tenant_id == sa.bindparam("key_tenant_id", type_=sa.Integer),
                people.c.id == sa.bindparam("key_person_id", type_=sa.String),
                people.c.version == sa.bindparam("expected_version", type_=sa.Integer),
                LIVE,
            )
            .values(
                {
                    **value_binds(people, columns),
                    "version": sa.bindparam("new_version", type_=sa.Integer),
                }
            )
            .returning(*PERSON_COLUMNS)
        ),
    )
    written = await prepared.first(
        conn,
        key_tenant_id=tenant_id,
        key_person_id=person_id,
        expected_version=expected_version,
        new_version=expected_version + 1,
        **value_args(values),
    )
    if written is not None:
        await replace_values(conn, tenant_id, person_id, values)
    return written


async def set_deleted(conn: AsyncConnection, tenant_id: int, person_id: str, at: Any) -> list[str]:
    """The person's tombstone; returns the groups they were taken out of."""
    await conn.execute(
        people.update()
        .where(people.c.tenant_id == tenant_id, people.c.id == person_id)
        .values(deleted_at=at, updated_at=at, version=people.c.version + 1)
    )
    left = await conn.execute(
        group_members.delete()
        .where(group_members.c.tenant_id == tenant_id, group_members.c.person_id == person_id)
        .returning(group_members.c.group_id)
    )
    return sorted(str(g) for g in left.scalars())


async def restore(conn: AsyncConnection, tenant_id: int, person_id: str, at: Any) -> None:
    await conn.execute(
        people.update()
        .where(people.c.tenant_id == tenant_id, people.c.id == person_id)
        .values(deleted_at=None, updated_at=at, version=people.c.version + 1)
    )
