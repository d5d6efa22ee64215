"""csv imports and provisioning log indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import roster.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csv_imports",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", roster.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_csv_imports_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_csv_imports")),
    )
    with op.batch_alter_table("provisioning_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_provisioning_log_resource", ["tenant_id", "resource_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("provisioning_log", schema=None) as batch_op:
        batch_op.drop_index("ix_provisioning_log_resource")
    op.drop_table("csv_imports")
