"""A company's SAML settings and the assertion replay cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import sso_configs


async def get_config(conn: AsyncConnection, tenant_id: int) -> dict[str, Any] | None:
    row = (
        await conn.execute(sa.select(sso_configs).where(sso_configs.c.tenant_id == tenant_id))
    ).first()
    return dict(row._mapping) if row else None


async def save_config(
    conn: AsyncConnection, tenant_id: int, values: dict[str, Any], now: datetime
) -> None:
    existing = await get_config(conn, tenant_id)
    if existing is None:
        defaults: dict[str, Any] = {
            "idp_certificates": [],
            "allow_password_signin": True,
            "allow_idp_initiated": False,
            "allow_jit": False,
            "nameid": "email",
        }
        await conn.execute(
            sso_configs.insert().values(
                tenant_id=tenant_id, **{**defaults, **values}, updated_at=now
            )
        )
    else:
        await conn.execute(
            sso_configs.update()
            .where(sso_configs.c.tenant_id == tenant_id)
            .values(**values, updated_at=now)
        )
