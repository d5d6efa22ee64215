"""CSV import of people: a preview of what each row will do, then an all-or-nothing apply.

This module is the import as the console and `roster import-csv` drive it: whether the
company allows it, an upload kept with a snapshot of its preview, the preview shown
again, the apply. Rows are read and planned in csv_plan.py (people found in
csv_matching.py) and written in csv_write.py.

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

from dataclasses import dataclass
from typing import Any

from roster.config import DEFAULT_COMPANY_EXTENSION
from roster.directory.audit import Actor
from roster.directory.csv_plan import Plan, Progress, RowResult, decode, plan_import
from roster.directory.csv_write import write_plan
from roster.model.errors import DirectoryError, forbidden, invalid
from roster.store import csv_imports as import_store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tenants import Tenant
from roster.store.types import utcnow


def check_allowed(tenant: Tenant) -> None:
    if tenant.scim_enabled and not tenant.setting("allow_csv_import"):
        raise forbidden(
            "CSV import is off while SCIM is on: the identity provider creates and updates "
            "people. Assign people to Roster in the identity provider instead, or ask Roster "
            f"support to allow CSV import for {tenant.subdomain} (roster support allow-csv)."
        )


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
        await write_plan(conn, fresh, plan, actor, progress)
        if import_id is not None:
            await import_store.mark_applied(conn, tenant.id, import_id, utcnow(), snapshot(plan))
    return plan


async def recent_imports(db: Database, tenant: Tenant) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return await import_store.recent_imports(conn, tenant.id)
