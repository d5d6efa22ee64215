"""console sign-in, saml and provisioning log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import roster.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "console_users",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_lower", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column(
            "roles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("break_glass", sa.Boolean(), nullable=False),
        sa.Column("created_at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", roster.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_console_users_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_console_users")),
        sa.UniqueConstraint(
            "tenant_id", "email_lower", name=op.f("uq_console_users_tenant_id_email_lower")
        ),
    )
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
    op.create_table(
        "outbox",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", roster.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_outbox_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "provisioning_log",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("token_id", sa.String(length=36), nullable=True),
        sa.Column("client", sa.String(length=200), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=True),
        sa.Column("resource_id", sa.String(length=64), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column(
            "request",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_provisioning_log_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_provisioning_log")),
    )
    with op.batch_alter_table("provisioning_log", schema=None) as batch_op:
        batch_op.create_index("ix_provisioning_log_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "saml_replay",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("assertion_id", sa.String(length=200), nullable=False),
        sa.Column("expires_at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_saml_replay_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "assertion_id", name=op.f("pk_saml_replay")),
    )
    with op.batch_alter_table("saml_replay", schema=None) as batch_op:
        batch_op.create_index("ix_saml_replay_expires", ["expires_at"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", roster.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_sessions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sessions")),
    )
    op.create_table(
        "sso_configs",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("idp_entity_id", sa.String(length=1000), nullable=True),
        sa.Column("idp_sso_url", sa.String(length=2000), nullable=True),
        sa.Column(
            "idp_certificates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("idp_metadata_xml", sa.Text(), nullable=True),
        sa.Column("allow_password_signin", sa.Boolean(), nullable=False),
        sa.Column("allow_idp_initiated", sa.Boolean(), nullable=False),
        sa.Column("allow_jit", sa.Boolean(), nullable=False),
        sa.Column("nameid", sa.String(length=32), nullable=False),
        sa.Column("updated_at", roster.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_sso_configs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_sso_configs")),
    )


def downgrade() -> None:

    op.drop_table("sso_configs")
    op.drop_table("sessions")
    with op.batch_alter_table("saml_replay", schema=None) as batch_op:
        batch_op.drop_index("ix_saml_replay_expires")

    op.drop_table("saml_replay")
    with op.batch_alter_table("provisioning_log", schema=None) as batch_op:
        batch_op.drop_index("ix_provisioning_log_status")

    op.drop_table("provisioning_log")
    op.drop_table("outbox")
    op.drop_table("login_throttle")
    op.drop_table("console_users")
