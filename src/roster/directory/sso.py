"""SAML single sign-on settings and the sign-in rules that depend on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roster.directory.errors import forbidden, invalid
from roster.store import sso as store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.tenants import Tenant
from roster.store.types import utcnow

NAMEID_KINDS = ("email", "employee_number")


@dataclass(frozen=True)
class SsoSettings:
    enabled: bool
    idp_entity_id: str | None = None
    idp_sso_url: str | None = None
    idp_certificates: tuple[str, ...] = ()
    allow_password_signin: bool = True
    allow_idp_initiated: bool = False
    allow_jit: bool = False
    nameid: str = "email"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.idp_entity_id and self.idp_sso_url and self.idp_certificates)


async def get_settings(db: Database, tenant: Tenant) -> SsoSettings:
    async with db.read() as conn:
        row = await store.get_config(conn, tenant.id)
        fresh = await tenant_store.tenant_by_id(conn, tenant.id)
    enabled = bool(fresh and fresh.sso_enabled)
    if row is None:
        return SsoSettings(enabled=enabled)
    return SsoSettings(
        enabled=enabled,
        idp_entity_id=row["idp_entity_id"],
        idp_sso_url=row["idp_sso_url"],
        idp_certificates=tuple(row["idp_certificates"] or ()),
        allow_password_signin=row["allow_password_signin"],
        allow_idp_initiated=row["allow_idp_initiated"],
        allow_jit=row["allow_jit"],
        nameid=row["nameid"],
    )


async def update_toggles(
    db: Database,
    tenant: Tenant,
    *,
    enabled: bool | None = None,
    allow_password_signin: bool | None = None,
    allow_idp_initiated: bool | None = None,
    allow_jit: bool | None = None,
    nameid: str | None = None,
) -> SsoSettings:
    current = await get_settings(db, tenant)
    if allow_jit and tenant.scim_enabled:
        raise forbidden(
            "creating people at sign-in (JIT) cannot be turned on while SCIM is on: "
            "the IdP already creates people, and JIT would create duplicates"
        )
    if nameid is not None and nameid not in NAMEID_KINDS:
        raise invalid(f"NameID must be one of {', '.join(NAMEID_KINDS)}", "nameid")
    if enabled and not current.configured:
        raise invalid(
            "SSO cannot be enabled before the IdP is configured: upload the IdP's metadata "
            "(entity id, SSO URL and signing certificate) first"
        )
    values = {
        k: v
        for k, v in {
            "allow_password_signin": allow_password_signin,
            "allow_idp_initiated": allow_idp_initiated,
            "allow_jit": allow_jit,
            "nameid": nameid,
        }.items()
        if v is not None
    }
    async with db.write() as conn:
        if values:
            await store.save_config(conn, tenant.id, values, utcnow())
        if enabled is not None:
            await tenant_store.update_tenant(conn, tenant.id, sso_enabled=enabled)
    return await get_settings(db, tenant)


async def password_login_refusal(db: Database, tenant: Tenant, *, break_glass: bool) -> str | None:
    """Why a password sign-in is refused, or None when it is allowed: with SSO on and
    password sign-in off, only a break-glass admin may use a password."""
    settings = await get_settings(db, tenant)
    if settings.enabled and not settings.allow_password_signin and not break_glass:
        return (
            "this company signs in with single sign-on; use 'Sign in with SSO' "
            "(password sign-in is turned off)"
        )
    return None
