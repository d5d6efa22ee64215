"""The company's people a CSV file names: the person each row's email or userName
belongs to, and the people its manager references may point at.

Read in chunks with only the columns the file can change, so that matching a
100,000-row re-import reads no more than it needs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.people import LIVE
from roster.store.person_values import WITH_PEOPLE
from roster.store.tables import people, person_values

SQLITE_IN_LIST = 1000  # values per IN list


def _chunk(conn: AsyncConnection) -> int:
    # PostgreSQL takes a list as one array parameter; SQLite as IN (?, ?, ...).
    return 20_000 if conn.dialect.name == "postgresql" else SQLITE_IN_LIST


def _among(conn: AsyncConnection, column: Any, values: list[Any], name: str) -> Any:
    """`column IN values`; on PostgreSQL `= ANY(:array)`, one parameter however long the
    list (a 1,000-value IN list costs more to plan than to run)."""
    if conn.dialect.name == "postgresql":
        kind = sa.BigInteger if values and isinstance(values[0], int) else sa.String
        return column == sa.any_(sa.bindparam(name, values, type_=postgresql.ARRAY(kind)))
    return column.in_(values)


_MATCH_COLUMNS = (
    "id",
    "version",
    "email",
    "email_lower",
    "user_name",
    "user_name_lower",
    "manager_id",
    "manager_pending",
)


async def matching_people(
    conn: AsyncConnection, tenant_id: int, keys: list[str], fields: set[str], *, lock: bool
) -> list[dict[str, Any]]:
    """The live people these emails or userNames belong to, with only the columns the
    file can change (a 100,000-row re-import reads no more than it needs)."""
    names = list(_MATCH_COLUMNS)
    for f in sorted(fields):
        column = "custom" if f.startswith("custom:") else f
        if column not in names:
            names.append(column)
    columns = [people.c[n] for n in names]
    out: list[dict[str, Any]] = []
    size = _chunk(conn)
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        query = sa.select(*columns).where(
            people.c.tenant_id == tenant_id,
            LIVE,
            sa.or_(
                _among(conn, people.c.email_lower, chunk, "emails"),
                _among(conn, people.c.user_name_lower, chunk, "user_names"),
            ),
        )
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        out.extend(dict(zip(names, row, strict=True)) for row in await conn.execute(query))
    return out


async def manager_candidates(
    conn: AsyncConnection, tenant_id: int, refs: list[str]
) -> list[dict[str, Any]]:
    """The live people these manager references may name (by id, user number, email or
    employee number), with the columns a ManagerReferences index needs."""
    out: list[dict[str, Any]] = []
    size = _chunk(conn)
    for start in range(0, len(refs), size):
        chunk = refs[start : start + size]
        numbers = [int(r) for r in chunk if r.isascii() and r.isdigit() and len(r) < 19]
        conditions = [
            _among(conn, people.c.id, chunk, "ids"),
            _among(conn, people.c.email_lower, chunk, "emails"),
            _among(conn, sa.func.lower(people.c.employee_number), chunk, "employees"),
        ]
        if numbers:
            conditions.append(_among(conn, people.c.number, numbers, "numbers"))
        rows = await conn.execute(
            sa.select(
                people.c.id, people.c.number, people.c.email_lower, people.c.employee_number
            ).where(people.c.tenant_id == tenant_id, LIVE, sa.or_(*conditions))
        )
        out.extend(dict(r._mapping) for r in rows)
    return out


async def other_email_holders(
    conn: AsyncConnection, tenant_id: int, emails: list[str]
) -> dict[str, dict[str, Any]]:
    """Lowercased address -> the live person who has it among their emails other than
    the primary one: a new person may not take it as theirs (decision 0016)."""
    out: dict[str, dict[str, Any]] = {}
    size = _chunk(conn)
    for start in range(0, len(emails), size):
        chunk = emails[start : start + size]
        rows = await conn.execute(
            sa.select(person_values.c.value_lower, people.c.id, people.c.user_name, people.c.active)
            .select_from(WITH_PEOPLE)
            .where(
                person_values.c.tenant_id == tenant_id,
                person_values.c.kind == "email",
                _among(conn, person_values.c.value_lower, chunk, "addresses"),
                people.c.email_lower.is_distinct_from(person_values.c.value_lower),
                LIVE,
            )
        )
        for r in rows:
            out.setdefault(r.value_lower, dict(r._mapping))
    return out


class ManagerReferences:
    """Manager references, in 15Five's order: SCIM id, Roster user id, email, employee
    number; over the company's people and the file's new people."""

    def __init__(self) -> None:
        self.by: list[dict[str, str]] = [{}, {}, {}, {}]

    def add(
        self, person_id: str, number: int | None, email: str | None, employee: str | None
    ) -> None:
        self.by[0].setdefault(person_id, person_id)
        if number is not None:
            self.by[1].setdefault(str(number), person_id)
        if email:
            self.by[2].setdefault(email.lower(), person_id)
        if employee:
            self.by[3].setdefault(employee.lower(), person_id)

    def resolve(self, ref: str) -> str | None:
        key = ref.strip().lower()
        for index in self.by:
            if key in index:
                return index[key]
        return None
