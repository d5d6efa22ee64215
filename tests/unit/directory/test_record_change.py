"""Every write is recorded through one function, `directory.audit.record_change`: no
other module writes the audit trail, and the changes that used to go unrecorded
(companies, SCIM on/off, tokens, settings, admins) are recorded with who made them."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import sqlalchemy as sa

import roster
from roster.directory import admins, tenants, tokens
from roster.directory.audit import Actor
from roster.store import migrate
from roster.store.db import Database
from roster.store.tables import audit_events
from tests.support.console import PASSWORD

SRC = Path(roster.__file__).resolve().parent
WRITERS = {"record", "record_many"}  # store/audit.py's writing functions


def _python_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_only_the_store_touches_the_audit_table() -> None:
    allowed = {SRC / "store" / "audit.py", SRC / "store" / "tables.py"}
    offenders = [
        str(p.relative_to(SRC))
        for p in _python_files()
        if p not in allowed and "audit_events" in p.read_text()
    ]
    assert offenders == []


def test_only_record_change_calls_the_stores_audit_writers() -> None:
    """Anything that imports store/audit.py and calls its writers, other than
    directory/audit.py, bypasses record_change (and the events it will write)."""
    offenders = []
    for path in _python_files():
        if path in (SRC / "directory" / "audit.py", SRC / "store" / "audit.py"):
            continue
        tree = ast.parse(path.read_text())
        aliases = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "roster.store"
            for alias in node.names
            if alias.name == "audit"
        }
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "roster.store.audit"
            for alias in node.names
            if alias.name in WRITERS
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in WRITERS
                and isinstance(func.value, ast.Name)
                and func.value.id in aliases
            ) or (isinstance(func, ast.Name) and func.id in imported):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_company_token_setting_and_admin_changes_are_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/roster.db"
    migrate.upgrade(url)
    who = Actor("admin:jordan@acme.example", "req-1")

    async def run() -> list[tuple[str, str, str | None]]:
        db = Database(url, pool_size=1)
        try:
            tenant = await tenants.create_tenant(db, "acme", "Acme", actor=who)
            await tenants.set_scim_enabled(db, "acme", True, actor=who)
            token_id, _ = await tokens.create_token(db, "acme", "Okta", actor=who)
            await tokens.revoke_token(db, "acme", token_id, actor=who)
            await tenants.update_settings(db, "acme", who, allow_csv_import=True)
            await admins.create_admin(db, "acme", "lee@acme.example", PASSWORD, actor=who)
            async with db.read() as conn:
                rows = await conn.execute(
                    sa.select(
                        audit_events.c.action, audit_events.c.actor, audit_events.c.request_id
                    )
                    .where(audit_events.c.tenant_id == tenant.id)
                    .order_by(audit_events.c.id)
                )
                return [tuple(r) for r in rows]
        finally:
            await db.dispose()

    recorded = asyncio.run(run())
    assert [action for action, _, _ in recorded] == [
        "tenant.create",
        "tenant.scim",
        "scim.token_create",
        "scim.token_revoke",
        "tenant.settings",
        "admin.create",
    ]
    assert {(actor, request_id) for _, actor, request_id in recorded} == {
        ("admin:jordan@acme.example", "req-1")
    }
