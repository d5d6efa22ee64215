"""the core User attributes that were dropped: nickName, profileUrl, userType and
name.honorificPrefix/Suffix as columns; addresses, ims, photos, entitlements, roles and
x509Certificates in one JSON column (decision 0017)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding them rewrites no row on either database; a person
    # written before keeps NULL, which reads as "none sent".
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("honorific_prefix", sa.String(60), nullable=True))
        batch.add_column(sa.Column("honorific_suffix", sa.String(60), nullable=True))
        batch.add_column(sa.Column("nick_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("profile_url", sa.String(2048), nullable=True))
        batch.add_column(sa.Column("user_type", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column(
                "multi_valued",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("multi_valued")
        batch.drop_column("user_type")
        batch.drop_column("profile_url")
        batch.drop_column("nick_name")
        batch.drop_column("honorific_suffix")
        batch.drop_column("honorific_prefix")
