"""planner statistics blind to the company column (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Every lookup leads with `tenant_id`, and every table has several indexes that start
with it. With statistics on that column, a company that arrived after the last
ANALYZE (a new customer, in a table of other customers' rows) is not among its most
common values, so PostgreSQL estimates it has one row. Every index starting with
`tenant_id` then costs the same as the primary key, and the planner may take one that
matches the company alone: a GET by id reads all of the company's people, an import
page does so once per person on it. With no statistics on `tenant_id` (target 0),
PostgreSQL uses its fixed estimate for an equality (0.5 % of the rows) for every
company, new or old, and the index that matches the most of the condition wins. The
other columns keep their statistics.

A database that already has statistics on `tenant_id` keeps them until they are
removed: `roster db upgrade` removes them when it runs as a superuser, and otherwise
says what to run. Nothing changes on SQLite.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

log = logging.getLogger("alembic.runtime.migration")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The tables as of this revision whose lookups lead with the company.
TABLES = (
    "api_tokens",
    "audit_events",
    "console_users",
    "csv_imports",
    "events",
    "group_members",
    "groups",
    "outbox",
    "people",
    "provisioning_log",
    "sessions",
    "set_deliveries",
    "set_receivers",
    "webhook_deliveries",
    "webhook_endpoints",
)

# The old statistics of the column: ANALYZE leaves them when the target becomes 0.
FORGET = (
    "DELETE FROM pg_statistic s USING pg_attribute a "
    "WHERE a.attrelid = s.starelid AND a.attnum = s.staattnum "
    "AND a.attname = 'tenant_id' AND s.starelid::regclass::text = ANY(:tables)"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN tenant_id SET STATISTICS 0')
    forget = sa.text(FORGET).bindparams(tables=list(TABLES))
    if bind.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        op.execute(forget)
    elif bind.scalar(
        sa.text(
            "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() "
            "AND attname = 'tenant_id' AND tablename = ANY(:tables)"
        ).bindparams(tables=list(TABLES))
    ):
        log.warning(
            "statistics on tenant_id remain from before this upgrade; a superuser should "
            "run, once, with :tables the tables %s: %s",
            ", ".join(TABLES),
            FORGET,
        )
    for table in TABLES:
        op.execute(f'ANALYZE "{table}"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN tenant_id SET STATISTICS -1')
