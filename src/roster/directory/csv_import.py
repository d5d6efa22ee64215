"""CSV import of people: a preview of what each row will do, then an all-or-nothing apply.

- Columns come from the attribute registry (directory/csv_columns.py); each cell is
  checked by the model's value rules (roster.model.values), the ones every door uses.
- People are matched by email (then userName). A matched person is updated only in the
  columns the file has and the row fills: an empty cell leaves the value as it is.
  A row that changes nothing is "unchanged", so importing the same file twice writes
  nothing the second time.
- Applying recomputes the plan inside one write transaction; if any row is rejected,
  nothing is written. 100,000 rows are planned in memory and written with batched
  statements (bench/csv_import.py measures it).
- While SCIM is on, the identity provider owns people: import is refused unless Roster
  support has allowed it for the company (`roster support allow-csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import DEFAULT_COMPANY_EXTENSION
from roster.directory.audit import jsonable, record_changes
from roster.directory.csv_columns import (
    HIDDEN_FIELDS,
    RowReader,
    field_labels,
    map_headers,
)
from roster.directory.outbox import queue_welcome
from roster.directory.people import Actor
from roster.directory.tenants import custom_attributes
from roster.model.errors import DirectoryError, forbidden, invalid
from roster.model.person import REPLACEABLE, PersonInput
from roster.model.registry import UserSchemas
from roster.store import csv_imports as import_store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.people import LIVE
from roster.store.tables import people
from roster.store.tenants import Tenant
from roster.store.types import utcnow

Progress = Callable[[str, int, int], None]  # (stage, done, total)
MAX_ROWS = 200_000
CHUNK = 1000
_TRUE = {"true", "yes", "y", "1", "active"}
_FALSE = {"false", "no", "n", "0", "inactive", "deactivated"}


def check_allowed(tenant: Tenant) -> None:
    if tenant.scim_enabled and not tenant.setting("allow_csv_import"):
        raise forbidden(
            "CSV import is off while SCIM is on: the identity provider creates and updates "
            "people. Assign people to Roster in the identity provider instead, or ask Roster "
            f"support to allow CSV import for {tenant.subdomain} (roster support allow-csv)."
        )


@dataclass
class RowResult:
    line: int
    action: str  # create | update | unchanged | reject
    email: str
    reason: str | None = None
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    person_id: str | None = None


@dataclass
class Plan:
    rows: list[RowResult] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[tuple[str, str]] = field(default_factory=list)
    file_error: str | None = None
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "rows": len(self.rows),
            "create": self.count("create"),
            "update": self.count("update"),
            "unchanged": self.count("unchanged"),
            "reject": self.count("reject"),
            "file_error": self.file_error,
        }

    @property
    def can_apply(self) -> bool:
        return self.file_error is None and self.count("reject") == 0 and bool(self.rows)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else Windows-1252 as Excel writes it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _bool_text(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    return value


@dataclass
class _Parsed:
    line: int
    email: str
    values: dict[str, Any]
    touched: frozenset[str]
    manager_ref: str | None


def _read(text: str, schemas: UserSchemas, plan: Plan, progress: Progress | None) -> list[_Parsed]:
    reader = csv.reader(io.StringIO(text))
    try:
        headers = next(reader)
    except StopIteration:
        plan.file_error = "the file is empty: the first line must name the columns (email, ...)"
        return []
    except csv.Error as exc:
        plan.file_error = f"not a CSV file ({exc})"
        return []
    mapping = map_headers(headers, schemas)
    plan.columns = [c.name for c in mapping.by_index.values()]
    plan.ignored_columns = mapping.ignored
    if mapping.missing_email:
        plan.file_error = (
            "the file has no email column: people are matched by email, so the first line "
            "must include a column named email"
        )
        return []
    try:
        lines = list(reader)
    except csv.Error as exc:
        plan.file_error = f"the file is not valid CSV ({exc})"
        return []
    if len(lines) > MAX_ROWS:
        plan.file_error = f"the file has {len(lines)} rows; import at most {MAX_ROWS} at a time"
        return []
    rows = RowReader(mapping, schemas)
    email_index = next(i for i, c in mapping.by_index.items() if c.where == "email")
    parsed: list[_Parsed] = []
    seen: dict[str, int] = {}
    total = len(lines)
    for n, cells in enumerate(lines):
        line = n + 2
        if progress and n % 5000 == 0:
            progress("check", n, total)
        if not any(cells) or not any(v.strip() for v in cells):
            continue
        read = rows.read(cells)
        if isinstance(read, str):
            email = cells[email_index].strip() if email_index < len(cells) else ""
            plan.rows.append(RowResult(line, "reject", email, read))
            continue
        key = read.email.lower()
        if key in seen:
            plan.rows.append(
                RowResult(
                    line, "reject", read.email, f"same email as line {seen[key]} of this file"
                )
            )
            continue
        seen[key] = line
        parsed.append(_Parsed(line, read.email, read.values, read.touched, read.manager_ref))
    if progress:
        progress("check", total, total)
    return parsed


def _chunk(conn: AsyncConnection) -> int:
    # PostgreSQL takes a list as one array parameter; SQLite as IN (?, ?, ...).
    return 20_000 if conn.dialect.name == "postgresql" else CHUNK


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


async def _existing(
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


async def _reference_index(
    conn: AsyncConnection, tenant_id: int, refs: list[str]
) -> list[dict[str, Any]]:
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


class _Resolver:
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


def _labels(labels: dict[str, str], fields: list[str]) -> list[str]:
    out: list[str] = []
    for f in fields:
        if f in HIDDEN_FIELDS:
            continue
        if f == "custom":
            continue
        label = labels.get(f, f)
        if label not in out:
            out.append(label)
    return out


def _values(data: PersonInput) -> dict[str, Any]:
    values = {k: v for k, v in data.fields.items() if k in REPLACEABLE or k == "active"}
    values["user_name"] = data.fields["user_name"]
    values["user_name_lower"] = data.fields["user_name"].lower()
    values["email_lower"] = values["email"].lower() if values.get("email") else None
    values["custom"] = data.custom
    return values


async def plan_import(
    conn: AsyncConnection,
    tenant: Tenant,
    text: str,
    *,
    company_urn: str = DEFAULT_COMPANY_EXTENSION,
    lock: bool = False,
    progress: Progress | None = None,
) -> Plan:
    plan = Plan()
    schemas = UserSchemas(company_urn, custom_attributes(tenant))
    parsed = _read(text, schemas, plan, progress)
    if plan.file_error or not parsed:
        plan.rows.sort(key=lambda r: r.line)
        return plan
    keys = sorted({p.email.lower() for p in parsed} | {p.values["user_name_lower"] for p in parsed})
    fields: set[str] = set()
    for touched in {p.touched for p in parsed}:
        fields |= touched
    existing = await _existing(conn, tenant.id, keys, fields, lock=lock)
    by_email = {p["email_lower"]: p for p in existing if p["email_lower"]}
    by_user_name = {p["user_name_lower"]: p for p in existing}
    resolver = _Resolver()
    refs = sorted({p.manager_ref.strip().lower() for p in parsed if p.manager_ref})
    for r in await _reference_index(conn, tenant.id, refs):
        resolver.add(r["id"], r["number"], r["email_lower"], r["employee_number"])
    now = utcnow()
    labels = field_labels(schemas)
    create_labels: dict[tuple[frozenset[str], bool], list[str]] = {}
    new_row = {
        "manager_id": None,
        "manager_pending": None,
        "timezone": None,
        "password_hash": None,
        "tenant_id": tenant.id,
        "number": 0,  # allocated when applied
        "source": "csv",
        "idp_linked_at": None,
        "deleted_at": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    claimed: dict[str, int] = {}  # user_name_lower -> line, within the file
    staged: list[tuple[_Parsed, dict[str, Any] | None, dict[str, Any], RowResult]] = []
    for p in parsed:
        email = p.email.lower()
        match = by_email.get(email) or by_user_name.get(email)
        values = p.values
        user_name = values["user_name_lower"]
        holder = by_user_name.get(user_name)
        if holder is not None and (match is None or holder["id"] != match["id"]):
            plan.rows.append(
                RowResult(
                    p.line,
                    "reject",
                    p.email,
                    f"userName {values['user_name']!r} is already taken by "
                    f"{holder['email'] or holder['user_name']} (person {holder['id']})",
                )
            )
            continue
        if user_name in claimed:
            plan.rows.append(
                RowResult(p.line, "reject", p.email, f"same userName as line {claimed[user_name]}")
            )
            continue
        claimed[user_name] = p.line
        result = RowResult(p.line, "create" if match is None else "update", p.email)
        if match is None:
            person_id = new_id()
            resolver.add(person_id, None, values["email"], values.get("employee_number"))
        else:
            person_id = match["id"]
        result.person_id = person_id
        staged.append((p, match, values, result))
    for p, match, values, result in staged:
        manager: dict[str, Any] = {}
        if p.manager_ref:
            target = resolver.resolve(p.manager_ref)
            if target == result.person_id:
                result.notes.append("manager ignored: a person cannot be their own manager")
            elif target is None:
                manager = {"manager_id": None, "manager_pending": p.manager_ref.strip().lower()}
                result.notes.append(
                    f"manager {p.manager_ref!r} matches nobody yet; linked when they arrive"
                )
            else:
                manager = {"manager_id": target, "manager_pending": None}
        if match is None:
            row = dict(values)  # every REPLACEABLE field is there already
            row.setdefault("active", True)
            row.update(new_row)
            row.update(manager)
            row["id"] = result.person_id
            plan.creates.append(row)
            key = (p.touched, bool(manager))
            if key not in create_labels:
                create_labels[key] = _labels(
                    labels,
                    ["email", *sorted(p.touched), *(["manager_id"] if manager else [])],
                )
            result.changes = create_labels[key]
        else:
            wanted: dict[str, Any] = {}
            for f in p.touched:
                if f.startswith("custom:"):
                    name = f.split(":", 1)[1]
                    wanted.setdefault("custom", dict(match["custom"] or {}))
                    if name in values["custom"]:
                        wanted["custom"][name] = values["custom"][name]
                elif f == "user_name":
                    wanted["user_name"] = values["user_name"]
                    wanted["user_name_lower"] = values["user_name_lower"]
                else:
                    wanted[f] = values.get(f)
            wanted.update(manager)
            changes = {k: v for k, v in wanted.items() if match.get(k) != v}
            if changes:
                plan.updates.append((match, changes))
                before = match.get("custom") or {}
                custom_changed = [
                    f"custom:{k}"
                    for k, v in changes.get("custom", {}).items()
                    if before.get(k) != v
                ]
                result.changes = _labels(labels, [*changes, *custom_changed])
            else:
                result.action = "unchanged"
        plan.rows.append(result)
    plan.rows.sort(key=lambda r: r.line)
    return plan


async def preview(
    db: Database,
    tenant: Tenant,
    raw: bytes,
    *,
    file_name: str,
    actor: Actor,
    company_urn: str = DEFAULT_COMPANY_EXTENSION,
) -> tuple[str, Plan]:
    """Check a file and keep it for applying; returns (import id, plan). Writes nothing
    to people."""
    check_allowed(tenant)
    text = decode(raw)
    async with db.read() as conn:
        plan = await plan_import(conn, tenant, text, company_urn=company_urn)
    import_id = new_id()
    async with db.write() as conn:
        await import_store.insert_import(
            conn,
            {
                "tenant_id": tenant.id,
                "id": import_id,
                "file_name": file_name[:255] or "upload.csv",
                "content": text,
                "created_by": actor.name[:100],
                "created_at": utcnow(),
                "applied_at": None,
                "summary": snapshot(plan),
            },
        )
    return import_id, plan


SNAPSHOT_ROWS = 200  # rows kept per result (create, update, ...) for the preview page
ACTIONS = ("reject", "create", "update", "unchanged")


def snapshot(plan: Plan) -> dict[str, Any]:
    """What the preview page shows, kept with the upload so that showing it again does
    not re-check 100,000 rows (applying always re-checks)."""
    rows: dict[str, list[dict[str, Any]]] = {a: [] for a in ACTIONS}
    for r in plan.rows:
        kept = rows[r.action]
        if len(kept) < SNAPSHOT_ROWS:
            kept.append(
                {
                    "line": r.line,
                    "action": r.action,
                    "email": r.email,
                    "reason": r.reason,
                    "changes": r.changes,
                    "notes": r.notes,
                }
            )
    return {
        **plan.summary,
        "columns": plan.columns,
        "ignored_columns": [list(c) for c in plan.ignored_columns],
        "can_apply": plan.can_apply,
        "preview": rows,
    }


@dataclass
class Preview:
    """A plan as the preview page shows it: counts, columns, up to SNAPSHOT_ROWS rows of
    each result."""

    summary: dict[str, Any]
    columns: list[str]
    ignored_columns: list[tuple[str, str]]
    file_error: str | None
    can_apply: bool
    rows: dict[str, list[RowResult]]


def _preview(snap: dict[str, Any]) -> Preview:
    return Preview(
        summary={k: snap.get(k, 0) for k in ("rows", "create", "update", "unchanged", "reject")},
        columns=list(snap.get("columns", [])),
        ignored_columns=[(h, why) for h, why in snap.get("ignored_columns", [])],
        file_error=snap.get("file_error"),
        can_apply=bool(snap.get("can_apply")),
        rows={a: [RowResult(**r) for r in snap.get("preview", {}).get(a, [])] for a in ACTIONS},
    )


async def stored_preview(
    db: Database, tenant: Tenant, import_id: str, *, company_urn: str = DEFAULT_COMPANY_EXTENSION
) -> tuple[dict[str, Any], Preview]:
    async with db.read() as conn:
        stored = await import_store.get_import(conn, tenant.id, import_id)
        if stored is None:
            raise DirectoryError("not_found", "no such import in this company")
        snap = stored["summary"] or {}
        if "preview" not in snap:
            plan = await plan_import(conn, tenant, stored["content"], company_urn=company_urn)
            snap = snapshot(plan)
    return stored, _preview(snap)


async def apply(
    db: Database,
    tenant: Tenant,
    text: str,
    *,
    actor: Actor,
    company_urn: str = DEFAULT_COMPANY_EXTENSION,
    import_id: str | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Import a file: everything or, if any row is rejected, nothing."""
    async with db.write() as conn:
        fresh = await tenant_store.lock_tenant(conn, tenant.id)
        check_allowed(fresh)
        if import_id is not None:
            stored = await import_store.get_import(conn, tenant.id, import_id)
            if stored is None:
                raise DirectoryError("not_found", "no such import in this company")
            if stored["applied_at"] is not None:
                raise invalid("this file was already imported; upload it again to re-import")
            text = stored["content"]
        plan = await plan_import(
            conn, fresh, text, company_urn=company_urn, lock=True, progress=progress
        )
        if plan.file_error:
            raise invalid(f"nothing imported: {plan.file_error}")
        rejected = plan.count("reject")
        if rejected:
            first = next(r for r in plan.rows if r.action == "reject")
            raise invalid(
                f"nothing imported: {rejected} row(s) rejected (line {first.line}: "
                f"{first.reason}); fix the file and import it again"
            )
        await _write(conn, fresh, plan, actor, progress)
        if import_id is not None:
            await import_store.mark_applied(conn, tenant.id, import_id, utcnow(), snapshot(plan))
    return plan


ANALYZE_AT = 5000


async def _analyze(conn: AsyncConnection) -> None:
    """Fresh planner statistics on PostgreSQL after a bulk load: with the statistics of
    a table that was nearly empty, each of the following per-row updates (and SCIM's
    lookups) scans the company's rows instead of probing the primary key."""
    if conn.dialect.name != "postgresql":
        return
    try:
        async with conn.begin_nested():
            await conn.execute(sa.text("ANALYZE people"))
    except sa.exc.DBAPIError:
        pass  # not the table's owner: autovacuum will analyze it


async def _write(
    conn: AsyncConnection, tenant: Tenant, plan: Plan, actor: Actor, progress: Progress | None
) -> None:
    total = len(plan.creates) + len(plan.updates)
    done = 0
    now = utcnow()
    audit: list[tuple[str, str, str | None, Any]] = []
    if plan.creates:
        first = await tenant_store.allocate_person_numbers(conn, tenant.id, len(plan.creates))
        for i, row in enumerate(plan.creates):
            row["number"] = first + i
        for start in range(0, len(plan.creates), CHUNK):
            chunk = plan.creates[start : start + CHUNK]
            await conn.execute(people.insert(), chunk)
            done += len(chunk)
            if progress:
                progress("write", done, total)
        audit.extend(
            (
                "person.create",
                "User",
                row["id"],
                {k: jsonable(row[k]) for k in _AUDITED if row[k] is not None},
            )
            for row in plan.creates
        )
        await queue_welcome(conn, tenant, plan.creates)
    if len(plan.creates) + len(plan.updates) >= ANALYZE_AT:
        await _analyze(conn)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for person, changes in plan.updates:
        params = {**changes, "_id": person["id"], "_version": person["version"] + 1}
        groups.setdefault(tuple(sorted(changes)), []).append(params)
        audit.append(
            (
                "person.update",
                "User",
                person["id"],
                {k: [jsonable(person.get(k)), jsonable(v)] for k, v in changes.items()},
            )
        )
    for columns, rows in groups.items():
        statement = (
            people.update()
            .where(people.c.tenant_id == tenant.id, people.c.id == sa.bindparam("_id"))
            .values(
                {
                    **{c: sa.bindparam(c) for c in columns},
                    "version": sa.bindparam("_version"),
                    "updated_at": now,
                }
            )
        )
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            await conn.execute(statement, chunk)
            done += len(chunk)
            if progress:
                progress("write", done, total)
    await _link_waiting_reports(conn, tenant, plan)
    await record_changes(conn, tenant.id, actor, audit, notes=["CSV import"])
    if progress:
        progress("write", total, total)


# What a created person's audit row shows: the scalar fields (emails repeat email).
_AUDITED = [f for f in REPLACEABLE if f not in ("emails", "phone_numbers")] + ["user_name"]


async def _link_waiting_reports(conn: AsyncConnection, tenant: Tenant, plan: Plan) -> None:
    """People (already in Roster) waiting for a manager who arrived in this file."""
    if not plan.creates:
        return
    resolver = _Resolver()
    for row in plan.creates:
        resolver.add(row["id"], row["number"], row["email"], row.get("employee_number"))
    waiting = await conn.execute(
        sa.select(people.c.id, people.c.manager_pending).where(
            people.c.tenant_id == tenant.id, LIVE, people.c.manager_pending.is_not(None)
        )
    )
    links = [
        {"_id": r.id, "_manager": target}
        for r in waiting
        if (target := resolver.resolve(r.manager_pending)) is not None and target != r.id
    ]
    if links:
        await conn.execute(
            people.update()
            .where(people.c.tenant_id == tenant.id, people.c.id == sa.bindparam("_id"))
            .values(
                manager_id=sa.bindparam("_manager"),
                manager_pending=None,
                version=people.c.version + 1,
                updated_at=utcnow(),
            ),
            links,
        )


async def recent_imports(db: Database, tenant: Tenant) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return await import_store.recent_imports(conn, tenant.id)
