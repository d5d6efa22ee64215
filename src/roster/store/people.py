"""People: SQL only. Every function takes the tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.scim.filters import Field
from roster.store.tables import group_members, groups, people
from roster.store.types import utcnow

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


async def insert_person(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(people.insert().values(**values))


async def get_person(
    conn: AsyncConnection, tenant_id: int, person_id: str, *, for_update: bool = False
) -> Person | None:
    query = sa.select(*PERSON_COLUMNS).where(
        people.c.tenant_id == tenant_id, people.c.id == person_id, LIVE
    )
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return dict(row._mapping) if row else None


_manager = people.alias("manager")


def _groups_json(conn: AsyncConnection) -> Any:
    """A person's groups as one JSON array column (the whole view is one statement)."""
    if conn.dialect.name == "postgresql":
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


_VIEW_STATEMENTS: dict[str, Any] = {}


def _view_select(conn: AsyncConnection, *, with_groups: bool = True) -> Any:
    """People with their manager's name and email and their groups, one row each."""
    groups_column = (_groups_json(conn) if with_groups else sa.null()).label("group_list")
    return sa.select(
        *PERSON_COLUMNS,
        _manager.c.display_name.label("manager_display_name"),
        _manager.c.given_name.label("manager_given_name"),
        _manager.c.family_name.label("manager_family_name"),
        _manager.c.email.label("manager_email"),
        groups_column,
    ).select_from(
        people.outerjoin(
            _manager,
            sa.and_(
                _manager.c.tenant_id == people.c.tenant_id,
                _manager.c.id == people.c.manager_id,
            ),
        )
    )


def _view_statement(conn: AsyncConnection) -> Any:
    statement = _VIEW_STATEMENTS.get(conn.dialect.name)
    if statement is None:
        statement = _view_select(conn).where(
            people.c.tenant_id == sa.bindparam("tenant_id"),
            people.c.id == sa.bindparam("person_id"),
            LIVE,
        )
        _VIEW_STATEMENTS[conn.dialect.name] = statement
    return statement


def _display(given: str | None, family: str | None, display: str | None) -> str | None:
    return display or " ".join(p for p in (given, family) if p) or None


async def get_person_view(
    conn: AsyncConnection, tenant_id: int, person_id: str
) -> tuple[Person, list[dict[str, Any]], dict[str, Any] | None] | None:
    """A person with their groups and manager, in one statement."""
    row = (
        await conn.execute(_view_statement(conn), {"tenant_id": tenant_id, "person_id": person_id})
    ).first()
    if row is None:
        return None
    return _split_view(dict(row._mapping))


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
    conditions = []
    if user_name:
        conditions.append(people.c.user_name_lower == user_name.lower())
    if email:
        conditions.append(people.c.email_lower == email.lower())
    if not conditions:
        return []
    query = sa.select(*PERSON_COLUMNS).where(
        people.c.tenant_id == tenant_id, LIVE, sa.or_(*conditions)
    )
    if excluding:
        query = query.where(people.c.id != excluding)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def update_person(
    conn: AsyncConnection,
    tenant_id: int,
    person_id: str,
    values: dict[str, Any],
    *,
    expected_version: int,
) -> bool:
    """Conditional write: applies only if the version is still `expected_version`."""
    result = await conn.execute(
        people.update()
        .where(
            people.c.tenant_id == tenant_id,
            people.c.id == person_id,
            people.c.version == expected_version,
            LIVE,
        )
        .values(**values, version=expected_version + 1)
    )
    return result.rowcount == 1


async def set_deleted(conn: AsyncConnection, tenant_id: int, person_id: str, at: Any) -> None:
    await conn.execute(
        people.update()
        .where(people.c.tenant_id == tenant_id, people.c.id == person_id)
        .values(deleted_at=at, updated_at=at, version=people.c.version + 1)
    )
    await conn.execute(
        group_members.delete().where(
            group_members.c.tenant_id == tenant_id, group_members.c.person_id == person_id
        )
    )


async def resolve_reference(conn: AsyncConnection, tenant_id: int, ref: str) -> str | None:
    """A manager reference -> a live person's id. Tried in order: SCIM id, Roster user
    id, email, employee number."""
    ref = ref.strip()
    conditions: list[ColumnElement[bool]] = [
        people.c.id == ref.lower(),
        people.c.email_lower == ref.lower(),
        sa.func.lower(people.c.employee_number) == ref.lower(),
    ]
    if ref.isdigit() and len(ref) < 19:
        conditions.append(people.c.number == int(ref))
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
            if ref.isdigit() and r.number == int(ref)
            else 2
            if r.email_lower == ref.lower()
            else 3
        ),
    )
    return ranked[0].id if ranked else None


async def link_pending_reports(conn: AsyncConnection, tenant_id: int, person: Person) -> list[str]:
    """People waiting for this person as their manager get linked now."""
    keys = {person["id"], str(person["number"])}
    if person.get("email_lower"):
        keys.add(person["email_lower"])
    if person.get("employee_number"):
        keys.add(person["employee_number"].lower())
    condition = sa.and_(
        people.c.tenant_id == tenant_id,
        LIVE,
        people.c.manager_pending.in_(sorted(keys)),
        people.c.id != person["id"],
    )
    ids = [r[0] for r in await conn.execute(sa.select(people.c.id).where(condition))]
    if ids:
        await conn.execute(
            people.update()
            .where(condition)
            .values(
                manager_id=person["id"],
                manager_pending=None,
                version=people.c.version + 1,
                updated_at=utcnow(),
            )
        )
    return ids


async def reassign_reports(
    conn: AsyncConnection, tenant_id: int, from_id: str, to_id: str | None
) -> list[str]:
    condition = sa.and_(people.c.tenant_id == tenant_id, LIVE, people.c.manager_id == from_id)
    ids = [r[0] for r in await conn.execute(sa.select(people.c.id).where(condition))]
    if ids:
        await conn.execute(
            people.update()
            .where(condition)
            .values(manager_id=to_id, version=people.c.version + 1, updated_at=utcnow())
        )
    return ids


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


async def list_people(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    where: ColumnElement[bool] | None,
    order_by: Sequence[ColumnElement[Any]],
    offset: int,
    limit: int,
    after_id: str | None = None,
    with_groups: bool = True,
) -> list[tuple[Person, list[dict[str, Any]], dict[str, Any] | None]]:
    """A page of people with their groups and managers, in one statement. The page's
    ids are chosen first, so the groups and manager of skipped rows are never computed
    (deep startIndex pages stay cheap)."""
    ids = sa.select(people.c.id).where(people.c.tenant_id == tenant_id, LIVE)
    if where is not None:
        ids = ids.where(where)
    if after_id is not None:
        ids = ids.where(people.c.id > after_id)
    page_ids = ids.order_by(*order_by).offset(offset).limit(limit).subquery("page_ids")
    query = (
        _view_select(conn, with_groups=with_groups)
        .where(people.c.tenant_id == tenant_id, people.c.id.in_(sa.select(page_ids.c.id)))
        .order_by(*order_by)
    )
    return [_split_view(dict(r._mapping)) for r in await conn.execute(query)]


async def count_people(
    conn: AsyncConnection, tenant_id: int, *, where: ColumnElement[bool] | None
) -> int:
    query = (
        sa.select(sa.func.count()).select_from(people).where(people.c.tenant_id == tenant_id, LIVE)
    )
    if where is not None:
        query = query.where(where)
    return int((await conn.execute(query)).scalar_one())


async def restore(conn: AsyncConnection, tenant_id: int, person_id: str, at: Any) -> None:
    await conn.execute(
        people.update()
        .where(people.c.tenant_id == tenant_id, people.c.id == person_id)
        .values(deleted_at=None, updated_at=at, version=people.c.version + 1)
    )
