"""Manage People's CSV export: the current view, every matching person, with the CSV
import's columns (csv_columns.py, from the attribute registry) so a file exported here
reads back in; cells a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from roster.directory.csv_columns import Column, columns
from roster.directory.people_table import PeopleView, every_person
from roster.model.registry import UserSchemas
from roster.store.db import Database
from roster.store.tenants import Tenant

# OWASP's CSV injection advice: a cell that starts with one of these is a formula to
# Excel, LibreOffice and Google Sheets; a leading single quote makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return defused(str(value))


def _value(column: Column, row: dict[str, Any], managers: dict[str, dict[str, Any]]) -> Any:
    if column.where == "manager":
        manager = managers.get(row["manager_id"] or "")
        if manager is not None:
            return manager.get("email") or manager.get("user_name")
        return row.get("manager_pending_as_sent")
    if column.field is None:
        return None
    if column.field.startswith("custom:"):
        return (row.get("custom") or {}).get(column.field[7:])
    return row.get(column.field)


def filename(tenant: Tenant, today: date) -> str:
    """people-acme-corp-2026-12-04.csv: the company and the day, safe in any header."""
    slug = re.sub(r"[^a-z0-9]+", "-", tenant.name.lower()).strip("-")[:60] or "company"
    return f"people-{slug}-{today.isoformat()}.csv"


async def export_lines(
    db: Database, tenant: Tenant, view: PeopleView, schemas: UserSchemas
) -> AsyncIterator[str]:
    """The CSV, a header line then one batch of people at a time."""
    cols = columns(schemas)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in cols] + ["id", "status", "source"])
    yield buffer.getvalue()
    async for rows, managers in every_person(db, tenant, view):
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            status = (
                "deleted" if row["deleted_at"] else "active" if row["active"] else "deactivated"
            )
            cells = [_cell(_value(c, row, managers)) for c in cols]
            writer.writerow([*cells, row["id"], status, row["source"]])
        yield buffer.getvalue()
