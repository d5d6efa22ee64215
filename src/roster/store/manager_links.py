"""Managers and their reports: a manager reference resolved to a live person, the
people waiting for a manager linked when that manager arrives (or their email or
employee number changes), and reports moved when their manager leaves. SQL only;
every function takes the tenant.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.store.people import LIVE, PERSON, PERSON_COLUMNS, TENANT, Person
from roster.store.prepared import Prepared
from roster.store.tables import people
from roster.store.types import utcnow


async def resolve_reference(conn: AsyncConnection, tenant_id: int, ref: str) -> str | None:
    """A manager reference -> a live person's id. Tried in order: SCIM id, Roster user
    id, email, employee number."""
    ref = ref.strip()
    conditions: list[ColumnElement[bool]] = [
        people.c.id == ref.lower(),
        people.c.email_lower == ref.lower(),
        sa.func.lower(people.c.employee_number) == ref.lower(),
    ]
    number = int(ref) if ref.isascii() and ref.isdigit() and len(ref) < 19 else None
    if number is not None:
        conditions.append(people.c.number == number)
    rows = (
        await conn.execute(
            sa.select(
                people.c.id, people.c.number, people.c.email_lower, people.c.employee_number
            ).where(people.c.tenant_id == tenant_id, LIVE, sa.or_(*conditions))
        )
    ).all()
    ranked = sorted(
        rows,
        key=lambda r: (
            0
            if r.id == ref.lower()
            else 1
            if number is not None and r.number == number
            else 2
            if r.email_lower == ref.lower()
            else 3
        ),
    )
    return ranked[0].id if ranked else None


def _in_keys(database: str) -> ColumnElement[bool]:
    """manager_pending is one of the :keys list (an array on PostgreSQL)."""
    if database == "postgresql":
        return people.c.manager_pending == sa.any_(
            sa.bindparam("keys", type_=postgresql.ARRAY(sa.String))
        )
    return people.c.manager_pending.in_(sa.bindparam("keys", expanding=True))


_WAITING_REPORTS = Prepared(
    per_database=lambda db: sa.select(people.c.id).where(
        people.c.tenant_id == TENANT, LIVE, _in_keys(db), people.c.id != PERSON
    )
)


async def link_pending_reports(conn: AsyncConnection, tenant_id: int, person: Person) -> list[str]:
    """People waiting for this person as their manager get linked now."""
    keys = {person["id"], str(person["number"])}
    if person.get("email_lower"):
        keys.add(person["email_lower"])
    if person.get("employee_number"):
        keys.add(person["employee_number"].lower())
    rows = await _WAITING_REPORTS.all(
        conn, tenant_id=tenant_id, keys=sorted(keys), person_id=person["id"]
    )
    ids = [r["id"] for r in rows]
    if ids:
        await conn.execute(
            people.update()
            .where(people.c.tenant_id == tenant_id, people.c.id.in_(ids))
            .values(
                manager_id=person["id"],
                manager_pending=None,
                manager_pending_as_sent=None,
                version=people.c.version + 1,
                updated_at=utcnow(),
            )
        )
    return ids


async def reassign_reports(
    conn: AsyncConnection, tenant_id: int, from_id: str, to_id: str | None
) -> list[Person]:
    """`from_id`'s direct reports now report to `to_id` (or to nobody): the reports as
    they stand after the change."""
    condition = sa.and_(people.c.tenant_id == tenant_id, LIVE, people.c.manager_id == from_id)
    result = await conn.execute(
        people.update()
        .where(condition)
        .values(manager_id=to_id, version=people.c.version + 1, updated_at=utcnow())
        .returning(*PERSON_COLUMNS)
    )
    return [dict(r._mapping) for r in result]


async def manager_chain(
    conn: AsyncConnection, tenant_id: int, person_id: str, *, limit: int = 10_000
) -> set[str]:
    """`person_id` and everyone above them: their manager, that manager's manager and
    so on (one recursive query; UNION stops at a loop the identity provider made)."""
    start = (
        sa.select(people.c.id, people.c.manager_id)
        .where(people.c.tenant_id == tenant_id, people.c.id == person_id)
        .cte("chain", recursive=True)
    )
    above = sa.select(people.c.id, people.c.manager_id).where(
        people.c.tenant_id == tenant_id, people.c.id == start.c.manager_id
    )
    chain = start.union(above)
    rows = await conn.execute(sa.select(chain.c.id).limit(limit))
    return {r.id for r in rows}
