"""People: SQL only. Every function takes the tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.model.query import Field, FieldCompare, Resolved
from roster.store.prepared import Prepared, memoized, value_args, value_binds
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


TENANT: sa.BindParameter[int] = sa.bindparam("tenant_id", type_=sa.Integer)
PERSON: sa.BindParameter[str] = sa.bindparam("person_id", type_=sa.String)
_THIS_PERSON = (people.c.tenant_id == TENANT, people.c.id == PERSON)


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
    return row


_GET_PERSON = sa.select(*PERSON_COLUMNS).where(*_THIS_PERSON, LIVE)
_PERSON = Prepared(_GET_PERSON)
_PERSON_FOR_UPDATE = Prepared(
    per_database=lambda db: _GET_PERSON.with_for_update() if db == "postgresql" else _GET_PERSON
)


async def get_person(
    conn: AsyncConnection, tenant_id: int, person_id: str, *, for_update: bool = False
) -> Person | None:
    prepared = _PERSON_FOR_UPDATE if for_update else _PERSON
    return await prepared.first(conn, tenant_id=tenant_id, person_id=person_id)


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


_VIEW = Prepared(per_database=lambda db: _view_select(db).where(*_THIS_PERSON, LIVE))
# The same, locking the person's row (not their manager's) for an update.
_VIEW_FOR_UPDATE = Prepared(
    per_database=lambda db: (
        _view_select(db).where(*_THIS_PERSON, LIVE).with_for_update(of=people)
        if db == "postgresql"
        else _view_select(db).where(*_THIS_PERSON, LIVE)
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
    return await prepared.all(conn, **values)


def _holders(by_user_name: bool, by_email: bool, excluding: bool) -> Prepared:
    conditions = []
    if by_user_name:
        conditions.append(people.c.user_name_lower == sa.bindparam("user_name"))
    if by_email:
        conditions.append(people.c.email_lower == sa.bindparam("email"))
    query = sa.select(*PERSON_COLUMNS).where(
        people.c.tenant_id == TENANT, LIVE, sa.or_(*conditions)
    )
    if excluding:
        query = query.where(people.c.id != sa.bindparam("excluding"))
    return Prepared(query)


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
    return await prepared.first(
        conn,
        key_tenant_id=tenant_id,
        key_person_id=person_id,
        expected_version=expected_version,
        new_version=expected_version + 1,
        **value_args(values),
    )


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


async def list_people(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    where: ColumnElement[bool] | None,
    order_by: Sequence[ColumnElement[Any]] | None,
    offset: int,
    limit: int,
    after_id: str | None = None,
    with_groups: bool = True,
    equal: tuple[str, str] | None = None,
) -> list[tuple[Person, list[dict[str, Any]], dict[str, Any] | None]]:
    """A page of people with their groups and managers, in one statement. The page's
    ids are chosen first, so the groups and manager of skipped rows are never computed
    (deep startIndex pages stay cheap).

    `order_by=None` is id order; with it, no filter (`where=None`) or an `equal`
    filter runs a prepared statement, other filters and orders are built per request."""
    if order_by is None and (where is None or equal is not None):
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
        conditions.append(where)
    if after_id is not None:
        conditions.append(people.c.id > after_id)
    order = order_by or [people.c.id]
    query = _view_page(
        conn.dialect.name, _page_ids(conditions, order, offset, limit), order, with_groups
    )
    result = await conn.execute(query, {"tenant_id": tenant_id})
    return [_split_view(dict(r)) for r in result.mappings()]


async def count_people(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    where: ColumnElement[bool] | None,
    equal: tuple[str, str] | None = None,
) -> int:
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
    return int((await conn.execute(query.where(where))).scalar_one())


async def restore(conn: AsyncConnection, tenant_id: int, person_id: str, at: Any) -> None:
    await conn.execute(
        people.update()
        .where(people.c.tenant_id == tenant_id, people.c.id == person_id)
        .values(deleted_at=None, updated_at=at, version=people.c.version + 1)
    )
