"""The directory tables and the audit trail, snapshotted around each step of a sweep and
diffed: what a step changed, and which audit rows it added. The sweeps that prove no
write bypasses `record_change` use it: every route of the route table
(tests/e2e/reliability/test_audit_immutable.py) and every command of the `roster` CLI
(tests/e2e/reliability/test_audit_cli.py)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from roster.store.db import Database
from roster.store.tables import audit_events, metadata
from tests.support.harness import LiveServer

# The tables that hold the directory; a step that changes a row of one of them must add
# an audit row. Noting a token's or an admin's last use is not a change, nor is the
# deliverer's fan-out moving a webhook endpoint's (or SET receiver's) cursor. (The
# deliverer also changes webhook_deliveries and set_deliveries as it sends; a sweep
# keeps its endpoints free of deliveries except in the steps that replay and remove one.)
DIRECTORY_TABLES = (
    "tenants",
    "scim_tokens",
    "api_tokens",
    "people",
    "groups",
    "group_members",
    "console_users",
    "admin_links",
    "sso_configs",
    "webhook_endpoints",
    "webhook_deliveries",
    "set_receivers",
    "set_deliveries",
)
NOT_A_CHANGE = {"last_used_at", "last_login_at", "cursor_seq"}


@dataclass(frozen=True)
class AuditRow:
    text: str  # the whole row as text (JSON columns compare as text)
    actor: str
    action: str


AuditRows = dict[tuple[int, str], AuditRow]  # by (tenant_id, id)


def _tenant_key(name: str, tenant_id: int, and_later: bool) -> sa.ColumnElement[bool]:
    table = metadata.tables[name]
    key = table.c.id if name == "tenants" else table.c.tenant_id
    return key >= tenant_id if and_later else key == tenant_id


async def audit_rows(
    db: Database, tenant_id: int | None = None, *, and_later: bool = False
) -> AuditRows:
    """Every audit row (or one company's; `and_later`: and every company created after it)."""
    query = sa.select(audit_events)
    if tenant_id is not None:
        query = query.where(_tenant_key("audit_events", tenant_id, and_later))
    async with db.read() as conn:
        rows = await conn.execute(query)
        return {(r.tenant_id, r.id): AuditRow(repr(tuple(r)), r.actor, r.action) for r in rows}


async def directory_rows(
    db: Database, tenant_id: int, *, and_later: bool = False
) -> dict[str, list[str]]:
    """One company's rows of each directory table, as text; `and_later`: also those of
    every company created after it (a company a step creates is seen)."""
    out: dict[str, list[str]] = {}
    async with db.read() as conn:
        for name in DIRECTORY_TABLES:
            table = metadata.tables[name]
            columns = [c for c in table.c if c.name not in NOT_A_CHANGE]
            query = sa.select(*columns).where(_tenant_key(name, tenant_id, and_later))
            out[name] = sorted(repr(tuple(r)) for r in await conn.execute(query))
    return out


@dataclass
class Step:
    changed: list[str]  # the directory tables whose rows the step changed
    added: list[AuditRow]  # the audit rows it added

    @property
    def audited(self) -> bool:
        return bool(self.added)


class Tracker:
    """The directory tables of a company (`and_later`: and of the companies created after
    it) and the audit trail (`whole_audit`: every company's), snapshotted now; `step()`
    snapshots again and says what changed since the last snapshot."""

    def __init__(
        self, server: LiveServer, tenant_id: int, *, and_later: bool = False, whole_audit: bool
    ) -> None:
        self.server = server
        self.tenant_id = tenant_id
        self.and_later = and_later
        self.whole_audit = whole_audit
        self.directory = self._directory()
        self.audit = self._audit()

    def _directory(self) -> dict[str, list[str]]:
        return self.server.call(
            lambda db: directory_rows(db, self.tenant_id, and_later=self.and_later)
        )

    def _audit(self) -> AuditRows:
        if self.whole_audit:
            return self.server.call(audit_rows)
        return self.server.call(lambda db: audit_rows(db, self.tenant_id, and_later=self.and_later))

    def step(self) -> Step:
        directory, audit = self._directory(), self._audit()
        changed = [t for t in DIRECTORY_TABLES if self.directory[t] != directory[t]]
        added = [row for key, row in sorted(audit.items()) if key not in self.audit]
        self.directory, self.audit = directory, audit
        return Step(changed, added)
