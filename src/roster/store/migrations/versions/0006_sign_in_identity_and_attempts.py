"""console sign-in identity links and atomic sign-in attempts

A console user's SSO identity is an explicit, admin-made link (`sso_nameid`), never a
person's editable email. Password sign-in attempts are reserved in `sign_in_attempts`,
one row per key (`email:<company>:<address>` or `ip:<address>`, the IP across every
company), replacing the per-company `login_throttle`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import roster.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_nameid", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("sso_nameid_lower", sa.String(length=320), nullable=True))
        batch_op.create_index(
            "ux_console_users_sso_nameid", ["tenant_id", "sso_nameid_lower"], unique=True
        )
    op.create_table(
        "sign_in_attempts",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "window_started_at", roster.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("locked_until", roster.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_attempts")),
    )
    op.drop_table("login_throttle")


def downgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "window_started_at", roster.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("locked_until", roster.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_login_throttle_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_login_throttle")),
    )
    op.drop_table("sign_in_attempts")
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.drop_index("ux_console_users_sso_nameid")
        batch_op.drop_column("sso_nameid_lower")
        batch_op.drop_column("sso_nameid")
