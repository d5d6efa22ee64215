"""API tokens: who may read a company's events feed. Stored as a hash, like SCIM
tokens, in a table of their own, so an API token can never open the SCIM door; the
writes are store/tenants.py's token functions on this table."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store import tenants as token_rows
from roster.store.tables import api_tokens, tenants
from roster.store.tenants import TENANT_COLUMNS, Credential, TokenRecord, tenant_of


async def insert_token(
    conn: AsyncConnection, *, tenant_id: int, token_id: str, label: str, secret_hash: str
) -> None:
    await token_rows.insert_token(
        conn,
        tenant_id=tenant_id,
        token_id=token_id,
        label=label,
        secret_hash=secret_hash,
        table=api_tokens,
    )


async def list_tokens(conn: AsyncConnection, tenant_id: int) -> list[TokenRecord]:
    return await token_rows.list_tokens(conn, tenant_id, table=api_tokens)


async def revoke_token(conn: AsyncConnection, tenant_id: int, token_id: str) -> bool:
    return await token_rows.revoke_token(conn, tenant_id, token_id, table=api_tokens)


async def touch_token(conn: AsyncConnection, tenant_id: int, token_id: str, at: datetime) -> None:
    await token_rows.touch_token(conn, tenant_id, token_id, at, table=api_tokens)


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
