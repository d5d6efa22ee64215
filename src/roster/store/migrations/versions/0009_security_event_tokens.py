"""Security Event Tokens: SET receivers, their deliveries, the signing keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import roster.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TIME = roster.store.types.UTCDateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "set_receivers",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("audience", sa.String(length=2000), nullable=False),
        sa.Column("issuer", sa.String(length=2000), nullable=False),
        sa.Column("authorization", sa.Text(), nullable=True),
        sa.Column("event_types", _json(), nullable=True),
        sa.Column("cursor_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("removed_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_table(
        "set_deliveries",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("resource_key", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("last_response", sa.String(length=2000), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "endpoint_id", "event_seq"),
    )
    op.create_index("ix_set_deliveries_due", "set_deliveries", ["status", "next_attempt_at"])
    op.create_index(
        "ix_set_deliveries_resource",
        "set_deliveries",
        ["tenant_id", "endpoint_id", "resource_key", "event_seq"],
    )
    op.create_table(
        "event_signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_jwk", _json(), nullable=False),
        sa.Column("private_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("signs_from", _TIME, nullable=False),
        sa.Column("retires_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("kid"),
        sa.UniqueConstraint("generation", name="ux_event_signing_keys_generation"),
    )


def downgrade() -> None:
    op.drop_table("event_signing_keys")
    op.drop_table("set_deliveries")
    op.drop_table("set_receivers")
