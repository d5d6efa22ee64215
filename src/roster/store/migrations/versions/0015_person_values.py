"""every email and phone number of a person as a row of its own, for filters on
multi-valued attributes (RFC 7644 §3.4.2.2: any value matches)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_BATCH = 2000
_KINDS = (("email", "emails"), ("phone", "phone_numbers"))


def _values(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        raw = json.loads(raw)
    return [v for v in raw or [] if isinstance(v, dict)]


def upgrade() -> None:
    values = op.create_table(
        "person_values",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("value_lower", sa.String(length=320), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["people.tenant_id", "people.id"],
            name="fk_person_values_tenant_id_people",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "person_id", "kind", "position", name="pk_person_values"
        ),
    )
    op.create_index(
        "ix_person_values_value",
        "person_values",
        ["tenant_id", "kind", "value_lower", "person_id"],
    )
    # Everyone already here (tombstones too, for a restore): every email and phone
    # number they have, so that filters keep finding them. A person whose emails list
    # lacks their primary email (written by hand before the list was kept) gets it.
    people = sa.table(
        "people",
        sa.column("tenant_id", sa.Integer),
        sa.column("id", sa.String),
        sa.column("email", sa.String),
        sa.column("emails", sa.Text),
        sa.column("phone_numbers", sa.Text),
    )
    conn = op.get_bind()
    after: tuple[int, str] = (-1, "")
    while True:
        # Keyset pages of people: no result stays open while the rows go in.
        rows = conn.execute(
            sa.select(
                people.c.tenant_id,
                people.c.id,
                people.c.email,
                people.c.emails,
                people.c.phone_numbers,
            )
            .where(sa.tuple_(people.c.tenant_id, people.c.id) > sa.tuple_(*after))
            .order_by(people.c.tenant_id, people.c.id)
            .limit(_BATCH)
        ).fetchall()
        if not rows:
            break
        after = (rows[-1].tenant_id, rows[-1].id)
        batch = [value for row in rows for value in _rows_of(row)]
        if batch:
            conn.execute(values.insert(), batch)


def _rows_of(row: Any) -> list[dict[str, Any]]:
    lists = {"emails": _values(row.emails), "phone_numbers": _values(row.phone_numbers)}
    if row.email and not any(
        str(v.get("value") or "").lower() == row.email.lower() for v in lists["emails"]
    ):
        lists["emails"] = [{"value": row.email, "primary": True}, *lists["emails"]]
    out = []
    for kind, column in _KINDS:
        for position, item in enumerate(lists[column]):
            value = str(item.get("value") or "")[:320]
            if not value:
                continue
            out.append(
                {
                    "tenant_id": row.tenant_id,
                    "person_id": row.id,
                    "kind": kind,
                    "position": position,
                    "value": value,
                    "value_lower": value.lower(),
                    "type": str(item["type"])[:32] if item.get("type") else None,
                    "is_primary": bool(item.get("primary")),
                }
            )
    return out


def downgrade() -> None:
    op.drop_index("ix_person_values_value", table_name="person_values")
    op.drop_table("person_values")
