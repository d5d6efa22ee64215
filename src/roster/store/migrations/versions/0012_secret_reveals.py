"""Secrets shown once: the one-time stash behind "shown once" for SCIM tokens and
webhook signing secrets

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import roster.store.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TIME = roster.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "secret_reveals",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )


def downgrade() -> None:
    op.drop_table("secret_reveals")
