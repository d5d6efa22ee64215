"""a person's groups from the index alone

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_group_members_person", table_name="group_members")
    op.create_index(
        "ix_group_members_person", "group_members", ["tenant_id", "person_id", "group_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_group_members_person", table_name="group_members")
    op.create_index("ix_group_members_person", "group_members", ["tenant_id", "person_id"])
