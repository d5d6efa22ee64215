"""API tokens for the events feed (GET /api/v1/events): issued once, stored as a hash,
revocable, several per company. Apart from SCIM tokens: a downstream service that reads
events cannot write people, and the identity provider's token cannot read the feed."""

from __future__ import annotations

import secrets

from roster.directory.audit import SYSTEM, Actor, record_change
from roster.directory.tenants import get_tenant
from roster.directory.tokens import hash_secret
from roster.model.errors import invalid, not_found
from roster.store import api_tokens as store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tenants import TokenRecord

# Recognisable by people and secret scanners: "rstr_api_" + 43 url-safe chars (256 bits).
API_TOKEN_PREFIX = "rstr_api_"  # noqa: S105 - a prefix, not a secret


def looks_like_api_token(secret: str) -> bool:
    return secret.startswith(API_TOKEN_PREFIX) and 40 <= len(secret) <= 100


async def create_api_token(
    db: Database, subdomain: str, label: str = "", *, actor: Actor = SYSTEM
) -> tuple[str, str]:
    """Returns (token id, secret). The secret is shown once and never stored."""
    tenant = await get_tenant(db, subdomain)
    if len(label) > 200:
        raise invalid("label is longer than 200 characters", "label")
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = new_id()
    async with db.write() as conn:
        await store.insert_token(
            conn,
            tenant_id=tenant.id,
            token_id=token_id,
            label=label,
            secret_hash=hash_secret(secret),
        )
        await record_change(
            conn, tenant.id, actor, "api.token_create", "Token", token_id, changes={"label": label}
        )
    return token_id, secret


async def list_api_tokens(db: Database, subdomain: str) -> list[TokenRecord]:
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        return await store.list_tokens(conn, tenant.id)


async def revoke_api_token(
    db: Database, subdomain: str, token_id: str, *, actor: Actor = SYSTEM
) -> None:
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        if not await store.revoke_token(conn, tenant.id, token_id):
            raise not_found(f"no active API token {token_id!r} in {subdomain!r}")
        await record_change(conn, tenant.id, actor, "api.token_revoke", "Token", token_id)
