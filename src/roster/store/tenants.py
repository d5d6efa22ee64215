"""Companies and their SCIM tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.prepared import Prepared
from roster.store.tables import scim_tokens, tenants
from roster.store.types import utcnow


@dataclass(frozen=True)
class Tenant:
    id: int
    subdomain: str
    name: str
    scim_enabled: bool
    sso_enabled: bool
    settings: dict[str, Any]
    custom_attributes: tuple[dict[str, Any], ...] = ()

    def setting(self, key: str) -> Any:
        return self.settings.get(key, DEFAULT_SETTINGS[key])


DEFAULT_SETTINGS: dict[str, Any] = {
    "sync_managers": True,
    "reassign_reporters": False,
    "link_existing_people": True,
    "send_welcome_email": False,
    "allow_csv_import": False,
    # A password sent over SCIM is stored only with this on (and SSO off); otherwise it is
    # accepted and discarded, so a create never pays for hashing a password nobody uses.
    "accept_idp_passwords": False,
    "log_retention_days": 30,  # provisioning log rows older than this are deleted
}


def tenant_of(row: Any) -> Tenant:
    """A company from a result row or a prepared statement's dict."""
    values = row if isinstance(row, dict) else row._mapping
    return Tenant(
        id=values["id"],
        subdomain=values["subdomain"],
        name=values["name"],
        scim_enabled=values["scim_enabled"],
        sso_enabled=values["sso_enabled"],
        settings=dict(values["settings"] or {}),
        custom_attributes=tuple(values["custom_attributes"] or ()),
    )


TENANT_COLUMNS = (
    tenants.c.id,
    tenants.c.subdomain,
    tenants.c.name,
    tenants.c.scim_enabled,
    tenants.c.sso_enabled,
    tenants.c.settings,
    tenants.c.custom_attributes,
)


async def insert_tenant(conn: AsyncConnection, *, subdomain: str, name: str) -> Tenant:
    result = await conn.execute(
        tenants.insert()
        .values(
            subdomain=subdomain,
            name=name,
            scim_enabled=False,
            sso_enabled=False,
            settings={},
            custom_attributes=[],
            last_person_number=0,
            created_at=utcnow(),
        )
        .returning(*TENANT_COLUMNS)
    )
    return tenant_of(result.one())


async def tenant_by_subdomain(conn: AsyncConnection, subdomain: str) -> Tenant | None:
    row = (
        await conn.execute(sa.select(*TENANT_COLUMNS).where(tenants.c.subdomain == subdomain))
    ).first()
    return tenant_of(row) if row else None


async def tenant_by_id(conn: AsyncConnection, tenant_id: int) -> Tenant | None:
    row = (await conn.execute(sa.select(*TENANT_COLUMNS).where(tenants.c.id == tenant_id))).first()
    return tenant_of(row) if row else None


async def update_tenant(conn: AsyncConnection, tenant_id: int, **values: Any) -> None:
    await conn.execute(tenants.update().where(tenants.c.id == tenant_id).values(**values))


_ALLOCATE = Prepared(
    tenants.update()
    .where(tenants.c.id == sa.bindparam("key_tenant_id", type_=sa.Integer))
    .values(
        last_person_number=tenants.c.last_person_number + sa.bindparam("count", type_=sa.BigInteger)
    )
    .returning(tenants.c.last_person_number)
)


async def allocate_person_numbers(conn: AsyncConnection, tenant_id: int, count: int) -> int:
    """Reserve `count` consecutive user ids; returns the first."""
    last = await _ALLOCATE.scalar(conn, key_tenant_id=tenant_id, count=count)
    return int(last) - count + 1


@dataclass(frozen=True)
class TokenRecord:
    tenant_id: int
    id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    # The first FINGERPRINT_LENGTH hex digits of the secret's SHA-256: what tells tokens
    # apart on screens (an admin computes it from a token they hold); a 32-bit prefix of
    # the hash of a 256-bit secret says nothing useful about the secret.
    fingerprint: str


FINGERPRINT_LENGTH = 8

# Tokens: SCIM's here, the events feed's in api_tokens (same columns, another table,
# so that one kind can never open the other's door): `table` says which.


async def insert_token(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    token_id: str,
    label: str,
    secret_hash: str,
    table: sa.Table = scim_tokens,
) -> None:
    await conn.execute(
        table.insert().values(
            tenant_id=tenant_id,
            id=token_id,
            label=label,
            secret_hash=secret_hash,
            created_at=utcnow(),
        )
    )


async def list_tokens(
    conn: AsyncConnection, tenant_id: int, *, table: sa.Table = scim_tokens
) -> list[TokenRecord]:
    columns = ("tenant_id", "id", "label", "created_at", "last_used_at", "revoked_at")
    rows = await conn.execute(
        sa.select(*(table.c[c] for c in columns), table.c.secret_hash)
        .where(table.c.tenant_id == tenant_id)
        .order_by(table.c.created_at, table.c.id)
    )
    return [
        TokenRecord(
            **{c: row._mapping[c] for c in columns},
            fingerprint=row.secret_hash[:FINGERPRINT_LENGTH],
        )
        for row in rows
    ]


async def revoke_token(
    conn: AsyncConnection, tenant_id: int, token_id: str, *, table: sa.Table = scim_tokens
) -> bool:
    result = await conn.execute(
        table.update()
        .where(table.c.tenant_id == tenant_id, table.c.id == token_id, table.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount > 0


@dataclass(frozen=True)
class Credential:
    """What a bearer token resolves to: the token and its company."""

    token_id: str
    secret_hash: str
    last_used_at: datetime | None
    tenant: Tenant


# This lookup starts every SCIM request.
_CREDENTIAL = Prepared(
    sa.select(
        scim_tokens.c.id.label("token_id"),
        scim_tokens.c.secret_hash,
        scim_tokens.c.last_used_at,
        *TENANT_COLUMNS,
    )
    .join(tenants, tenants.c.id == scim_tokens.c.tenant_id)
    .where(scim_tokens.c.secret_hash == sa.bindparam("secret_hash"))
    .where(scim_tokens.c.revoked_at.is_(None))
)


async def credential_by_hash(conn: AsyncConnection, secret_hash: str) -> Credential | None:
    row = await _CREDENTIAL.first(conn, secret_hash=secret_hash)
    if row is None:
        return None
    return Credential(
        token_id=row["token_id"],
        secret_hash=row["secret_hash"],
        last_used_at=row["last_used_at"],
        tenant=tenant_of(row),
    )


async def touch_token(
    conn: AsyncConnection,
    tenant_id: int,
    token_id: str,
    at: datetime,
    *,
    table: sa.Table = scim_tokens,
) -> None:
    await conn.execute(
        table.update()
        .where(table.c.tenant_id == tenant_id, table.c.id == token_id)
        .values(last_used_at=at)
    )


async def lock_tenant(conn: AsyncConnection, tenant_id: int) -> Tenant:
    """Re-read the company row, locked until the transaction ends (PostgreSQL; SQLite's
    write transactions are serial already)."""
    query = sa.select(*TENANT_COLUMNS).where(tenants.c.id == tenant_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return tenant_of((await conn.execute(query)).one())
