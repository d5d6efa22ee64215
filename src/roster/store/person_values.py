"""A person's emails and phone numbers as rows (`person_values`), for searching: every
value a filter on a multi-valued attribute may match (RFC 7644 §3.4.2.2: a multi-valued
attribute matches when any of its values does), and who holds an address. SQL only;
every function takes the tenant.

The person's `emails` and `phone_numbers` columns are what is rendered; the rows here
are rewritten from them by the same statement sequence that writes the person (insert,
update, CSV batches), inside the caller's transaction, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.model.query import Field, FieldAny
from roster.store.filtering import compile_filter
from roster.store.tables import people, person_values

# The person's JSON column behind each kind of value (the registry's `values`).
COLUMNS = {"email": "emails", "phone": "phone_numbers"}
_KINDS = {column: kind for kind, column in COLUMNS.items()}

Row = dict[str, Any]

# Each value with the person who holds it.
WITH_PEOPLE = person_values.join(
    people,
    sa.and_(
        people.c.tenant_id == person_values.c.tenant_id,
        people.c.id == person_values.c.person_id,
    ),
)


def rows_of(tenant_id: int, person_id: str, kind: str, values: Any) -> list[Row]:
    """The rows of one kind of a person's values, in the order they were sent."""
    out = []
    for position, item in enumerate(values or []):
        value = str(item.get("value") or "")
        if not value:
            continue
        out.append(
            {
                "tenant_id": tenant_id,
                "person_id": person_id,
                "kind": kind,
                "position": position,
                "value": value,
                "value_lower": value.lower(),
                "type": item.get("type") or None,
                "is_primary": bool(item.get("primary")),
            }
        )
    return out


def rows_for(tenant_id: int, person: dict[str, Any]) -> list[Row]:
    """Every value row of a person (or of a write's values) whose columns it names."""
    out: list[Row] = []
    for column, kind in _KINDS.items():
        if column in person:
            out.extend(rows_of(tenant_id, person["id"], kind, person[column]))
    return out


def kinds_written(values: Iterable[str]) -> list[str]:
    """The kinds of value a write of these person columns replaces."""
    return [_KINDS[c] for c in values if c in _KINDS]


_DELETE = person_values.delete().where(
    person_values.c.tenant_id == sa.bindparam("tenant_id", type_=sa.Integer),
    person_values.c.person_id == sa.bindparam("person_id", type_=sa.String),
    person_values.c.kind.in_(sa.bindparam("kinds", expanding=True)),
)


async def insert_rows(conn: AsyncConnection, rows: Sequence[Row]) -> None:
    """One executemany for any number of people's rows."""
    if rows:
        await conn.execute(person_values.insert(), list(rows))


async def replace_values(
    conn: AsyncConnection, tenant_id: int, person_id: str, written: dict[str, Any]
) -> None:
    """After a write of `written` (person columns): the kinds it set, rewritten."""
    kinds = kinds_written(written)
    if not kinds:
        return
    await conn.execute(
        _DELETE,
        {"tenant_id": tenant_id, "person_id": person_id, "kinds": kinds},
    )
    await insert_rows(conn, rows_for(tenant_id, {"id": person_id, **written}))


async def replace_many(
    conn: AsyncConnection, tenant_id: int, people_written: Sequence[dict[str, Any]]
) -> None:
    """replace_values for a batch of people (CSV import): one DELETE, one insert."""
    by_kinds: dict[tuple[str, ...], list[str]] = {}
    rows: list[Row] = []
    for person in people_written:
        kinds = tuple(kinds_written(person))
        if kinds:
            by_kinds.setdefault(kinds, []).append(person["id"])
            rows.extend(rows_for(tenant_id, person))
    for kinds, ids in by_kinds.items():
        await conn.execute(
            person_values.delete().where(
                person_values.c.tenant_id == tenant_id,
                person_values.c.person_id.in_(ids),
                person_values.c.kind.in_(kinds),
            )
        )
    await insert_rows(conn, rows)


# ---------------------------------------------------------------------------
# Filters: any value of the person matches


_VALUE_COLUMNS: dict[str, ColumnElement[Any]] = {
    "type": person_values.c.type,
    "primary": person_values.c.is_primary,
}


def _value_column(f: Field) -> ColumnElement[Any]:
    if f.name == "value":
        return person_values.c.value if f.case_exact else person_values.c.value_lower
    return _VALUE_COLUMNS[f.name]


def any_value(expr: FieldAny) -> ColumnElement[bool]:
    """EXISTS a value row of the person (correlated with `people`) for which the filter
    holds; a value filter `emails[type eq "work" and value co "@"]` is one row that
    satisfies both."""
    return sa.exists(
        sa.select(sa.literal(1)).where(
            person_values.c.tenant_id == people.c.tenant_id,
            person_values.c.person_id == people.c.id,
            person_values.c.kind == expr.values,
            compile_filter(expr.expr, _value_column),
        )
    )
