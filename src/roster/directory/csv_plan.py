"""What each row of a CSV file of people will do: the file read and checked row by
row, each row matched to a person by email (then userName), and planned as a create,
an update of the columns the file has and the row fills, unchanged, or a reject with
the reason. Planning writes nothing; the same plan is shown as the preview and
recomputed inside the write transaction when the file is applied (csv_import.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import DEFAULT_COMPANY_EXTENSION
from roster.directory.csv_columns import (
    HIDDEN_FIELDS,
    RowReader,
    field_labels,
    map_headers,
)
from roster.directory.csv_matching import (
    ManagerReferences,
    manager_candidates,
    matching_people,
    other_email_holders,
)
from roster.directory.person_values import NO_PENDING_MANAGER, pending_manager
from roster.directory.tenants import custom_attributes
from roster.model.registry import UserSchemas
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow

Progress = Callable[[str, int, int], None]  # (stage, done, total)
MAX_ROWS = 200_000


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
    existing = await matching_people(conn, tenant.id, keys, fields, lock=lock)
    by_email = {p["email_lower"]: p for p in existing if p["email_lower"]}
    by_user_name = {p["user_name_lower"]: p for p in existing}
    new_emails = sorted(
        {e for p in parsed if (e := p.email.lower()) not in by_email and e not in by_user_name}
    )
    others = await other_email_holders(conn, tenant.id, new_emails)
    resolver = ManagerReferences()
    refs = sorted({p.manager_ref.strip().lower() for p in parsed if p.manager_ref})
    for r in await manager_candidates(conn, tenant.id, refs):
        resolver.add(r["id"], r["number"], r["email_lower"], r["employee_number"])
    now = utcnow()
    labels = field_labels(schemas)
    create_labels: dict[tuple[frozenset[str], bool], list[str]] = {}
    new_row = {
        "manager_id": None,
        **NO_PENDING_MANAGER,
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
        other = others.get(email) if match is None else None
        if other is not None:
            state = "active" if other["active"] else "deactivated"
            plan.rows.append(
                RowResult(
                    p.line,
                    "reject",
                    p.email,
                    f"email {p.email!r} is already one of the emails of person {other['id']} "
                    f"(userName {other['user_name']!r}, {state}), as an address other than "
                    "their primary; a person's primary email must be theirs alone",
                )
            )
            continue
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
                manager = {"manager_id": None, **pending_manager(p.manager_ref.strip())}
                result.notes.append(
                    f"manager {p.manager_ref!r} matches nobody yet; linked when they arrive"
                )
            else:
                manager = {"manager_id": target, **NO_PENDING_MANAGER}
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
