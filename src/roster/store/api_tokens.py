"""API tokens: who may read a company's events feed. Stored as a hash, like SCIM
tokens, in a table of their own, so an API token can never open the SCIM door."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import api_tokens, tenants
from roster.store.tenants import TENANT_COLUMNS, Credential, TokenRecord, tenant_of
from roster.store.types import utcnow

_COLUMNS = (
    api_tokens.c.tenant_id,
    api_tokens.c.id,
    api_tokens.c.label,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
)


async def insert_token(
    conn: AsyncConnection, *, tenant_id: int, token_id: str, label: str, secret_hash: str
) -> None:
    await conn.execute(
        api_tokens.insert().values(
            tenant_id=tenant_id,
            id=token_id,
            label=label,
            secret_hash=secret_hash,
            created_at=utcnow(),
        )
    )


async def list_tokens(conn: AsyncConnection, tenant_id: int) -> list[TokenRecord]:
    rows = await conn.execute(
        sa.select(*_COLUMNS)
        .where(api_tokens.c.tenant_id == tenant_id)
        .order_by(api_tokens.c.created_at, api_tokens.c.id)
    )
    return [TokenRecord(**row._mapping) for row in rows]


async def revoke_token(conn: AsyncConnection, tenant_id: int, token_id: str) -> bool:
    result = await conn.execute(
        api_tokens.update()
        .where(
            api_tokens.c.tenant_id == tenant_id,
            api_tokens.c.id == token_id,
            api_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount > 0


async def credential_by_hash(conn: AsyncConnection, secret_hash: str) -> Credential | None:
    query = (
        sa.select(
            api_tokens.c.id.label("token_id"),
            api_tokens.c.secret_hash,
            api_tokens.c.last_used_at,
            *TENANT_COLUMNS,
        )
        .join(tenants, tenants.c.id == api_tokens.c.tenant_id)
        .where(api_tokens.c.secret_hash == secret_hash, api_tokens.c.revoked_at.is_(None))
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Credential(
        token_id=row.token_id,
        secret_hash=row.secret_hash,
        last_used_at=row.last_used_at,
        tenant=tenant_of(row),
    )


async def touch_token(conn: AsyncConnection, tenant_id: int, token_id: str, at: datetime) -> None:
    await conn.execute(
        api_tokens.update()
        .where(api_tokens.c.tenant_id == tenant_id, api_tokens.c.id == token_id)
        .values(last_used_at=at)
    )
