"""Admin management: an admin's name, and the one-time set-password links that invite
an admin or reset a password

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import roster.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TIME = roster.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("console_users") as batch:
        batch.add_column(sa.Column("name", sa.String(length=200), nullable=True))
    op.create_table(
        "admin_links",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("console_user_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("token_hash", name="ux_admin_links_token_hash"),
    )
    op.create_index("ix_admin_links_admin", "admin_links", ["tenant_id", "console_user_id"])


def downgrade() -> None:
    op.drop_index("ix_admin_links_admin", table_name="admin_links")
    op.drop_table("admin_links")
    with op.batch_alter_table("console_users") as batch:
        batch.drop_column("name")
