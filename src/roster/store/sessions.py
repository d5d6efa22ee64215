"""Browser sessions (console admins and people signed in by SSO)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.prepared import Prepared
from roster.store.tables import sessions


async def insert_session(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(sessions.insert().values(**values))


async def get_session(
    conn: AsyncConnection, tenant_id: int, session_id: str, now: datetime
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(sessions).where(
                sessions.c.tenant_id == tenant_id,
                sessions.c.id == session_id,
                sessions.c.expires_at > now,
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def delete_session(conn: AsyncConnection, tenant_id: int, session_id: str) -> None:
    await conn.execute(
        sessions.delete().where(sessions.c.tenant_id == tenant_id, sessions.c.id == session_id)
    )


_DELETE_SUBJECT = Prepared(
    sessions.delete().where(
        sessions.c.tenant_id == sa.bindparam("tenant_id"),
        sessions.c.subject_type == sa.bindparam("subject_type"),
        sessions.c.subject_id == sa.bindparam("subject_id"),
    )
)


async def delete_subject_sessions(
    conn: AsyncConnection, tenant_id: int, subject_type: str, subject_id: str
) -> None:
    await _DELETE_SUBJECT.execute(
        conn, tenant_id=tenant_id, subject_type=subject_type, subject_id=subject_id
    )
