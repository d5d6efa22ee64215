"""SCIM requests and failures per company and hour, for the Overview's and the
provisioning log's charts; counted from the log rows already kept

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_HOUR = {
    "postgresql": "floor(extract(epoch FROM at) / 3600)::bigint",
    "sqlite": "CAST(strftime('%s', at) AS INTEGER) / 3600",
}


def upgrade() -> None:
    op.create_table(
        "provisioning_hours",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "hour"),
    )
    hour = _HOUR[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO provisioning_hours (tenant_id, hour, requests, failures) "  # noqa: S608
        f"SELECT tenant_id, {hour}, count(*), sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END) "
        f"FROM provisioning_log GROUP BY tenant_id, {hour}"
    )


def downgrade() -> None:
    op.drop_table("provisioning_hours")
