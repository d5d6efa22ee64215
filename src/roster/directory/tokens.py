"""SCIM bearer tokens: issued once, stored as a hash, revocable, several per company.
A request's token becomes its company in directory/tenancy.py.

People tell tokens apart by label and fingerprint. A live token's label is unique in
its company, in any case, checked with the company row locked, so two admins
generating "Okta" at once get one token and one refusal (a script's unlabelled tokens
are told apart by fingerprint alone). The fingerprint is the first 8 hex digits of the
secret's SHA-256, which an admin computes from a token they hold
(`printf %s "$TOKEN" | sha256sum | cut -c1-8`)."""

from __future__ import annotations

import hashlib
import secrets

from roster.directory.audit import SYSTEM, Actor, record_change
from roster.directory.tenants import get_tenant
from roster.model.errors import DirectoryError, conflict, invalid, not_found
from roster.store import tenants as store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tenants import FINGERPRINT_LENGTH, TokenRecord

# Recognisable by people and secret scanners: "rstr_scim_" + 43 url-safe chars (256 bits).
TOKEN_PREFIX = "rstr_scim_"  # noqa: S105 - a prefix, not a secret


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def fingerprint(secret: str) -> str:
    """What the console and `roster scim token list` show of a token."""
    return hash_secret(secret)[:FINGERPRINT_LENGTH]


def looks_like_token(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX) and 40 <= len(secret) <= 100


async def create_token(
    db: Database, subdomain: str, label: str = "", *, actor: Actor = SYSTEM
) -> tuple[str, str]:
    """Returns (token id, secret). The secret is shown once and never stored."""
    tenant = await get_tenant(db, subdomain)
    if not tenant.scim_enabled:
        raise DirectoryError(
            "forbidden",
            f"SCIM is not enabled for {subdomain!r}: run `roster scim enable {subdomain}` first",
        )
    label = label.strip()
    if len(label) > 200:
        raise invalid("label is longer than 200 characters", "label")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = new_id()
    async with db.write() as conn:
        await store.lock_tenant(conn, tenant.id)  # one label check at a time per company
        taken = [
            t
            for t in await store.list_tokens(conn, tenant.id)
            if label and t.revoked_at is None and t.label.casefold() == label.casefold()
        ]
        if taken:
            raise conflict(
                f"an active token is already labelled {taken[0].label!r} (fingerprint "
                f"{taken[0].fingerprint}): choose another label, or revoke that token first",
                "label",
            )
        await store.insert_token(
            conn,
            tenant_id=tenant.id,
            token_id=token_id,
            label=label,
            secret_hash=hash_secret(secret),
        )
        await record_change(
            conn,
            tenant.id,
            actor,
            "scim.token_create",
            "Token",
            token_id,
            changes={"label": label},
            resource={"label": label},
        )
    return token_id, secret


async def list_tokens(db: Database, subdomain: str) -> list[TokenRecord]:
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        return await store.list_tokens(conn, tenant.id)


async def revoke_token(
    db: Database, subdomain: str, token_id: str, *, actor: Actor = SYSTEM
) -> None:
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        if not await store.revoke_token(conn, tenant.id, token_id):
            raise not_found(f"no active token {token_id!r} in {subdomain!r}")
        await record_change(conn, tenant.id, actor, "scim.token_revoke", "Token", token_id)
