"""a pending manager reference as the identity provider sent it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no row on either database. A reference
    # kept before this column existed is shown as its lowercased key.
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("manager_pending_as_sent", sa.String(320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("manager_pending_as_sent")
