"""SAML single sign-on settings and the sign-in rules that depend on them: the IdP's
metadata (entity id, SSO URL, signing certificates, several during a rollover), the
toggles, and who may use a password while SSO is on."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from onelogin.saml2.constants import OneLogin_Saml2_Constants  # type: ignore[import-untyped]
from onelogin.saml2.idp_metadata_parser import (  # type: ignore[import-untyped]
    OneLogin_Saml2_IdPMetadataParser,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.audit import Actor, record_change
from roster.directory.tenants import sso_switch
from roster.model.errors import conflict, forbidden, invalid
from roster.store import sso as store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.tenants import Tenant
from roster.store.types import utcnow

NAMEID_KINDS = ("email", "employee_number")
MAX_METADATA_BYTES = 256 * 1024
MAX_CERTIFICATES = 5


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


@dataclass(frozen=True)
class CertificateInfo:
    """What an admin needs to tell two signing certificates apart during a rollover."""

    fingerprint: str  # SHA-256 of the DER, hex pairs joined by ':' (as Okta shows it)
    subject: str
    not_after: datetime

    @property
    def expired(self) -> bool:
        return self.not_after <= utcnow()


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str
    certificates: tuple[str, ...]  # PEM


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
    actor: str = "system",
) -> SsoSettings:
    current = await get_settings(db, tenant)
    async with db.read() as conn:
        fresh = await tenant_store.tenant_by_id(conn, tenant.id)
    scim_on = bool(fresh.scim_enabled if fresh else tenant.scim_enabled)
    if allow_jit and scim_on:
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
        switched: dict[str, Any] = {}
        if enabled is not None:
            switched = sso_switch(fresh or tenant, enabled)
            await tenant_store.update_tenant(conn, tenant.id, **switched)
        changes = {**values, **({"enabled": enabled} if enabled is not None else {})}
        if "settings" in switched:
            changes["accept_idp_passwords"] = False
        if changes:
            await _audit(conn, tenant, actor, "sso.settings", changes)
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


# --- The IdP: metadata and certificates ----------------------------------------------


def _pem(der_b64: str) -> str:
    body = "".join(der_b64.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _load(pem_or_b64: str) -> x509.Certificate:
    text = pem_or_b64.strip()
    try:
        if "-----BEGIN CERTIFICATE-----" in text:
            return x509.load_pem_x509_certificate(text.encode())
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    except (ValueError, binascii.Error) as exc:
        raise invalid(f"not an X.509 certificate ({exc})", "certificate") from None


def normalise_certificate(pem_or_b64: str) -> str:
    """A certificate as PEM, checked to be one; refused if it is not."""
    cert = _load(pem_or_b64)
    der = cert.public_bytes(encoding=Encoding.DER)
    return _pem(base64.b64encode(der).decode())


def certificate_info(pem: str) -> CertificateInfo:
    cert = _load(pem)
    digest = hashlib.sha256(cert.public_bytes(encoding=Encoding.DER)).hexdigest().upper()
    return CertificateInfo(
        fingerprint=":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
        subject=cert.subject.rfc4514_string(),
        not_after=cert.not_valid_after_utc.astimezone(UTC),
    )


def _same_fingerprint(a: str, b: str) -> bool:
    def bare(x: str) -> str:
        return x.replace(":", "").replace(" ", "").upper()

    return bare(a) == bare(b)


def parse_idp_metadata(xml: str | bytes) -> IdpMetadata:
    """The IdP's entity id, HTTP-Redirect SSO URL and signing certificates, from the
    metadata XML an admin pastes or uploads (Okta: Sign On tab, "View IdP metadata")."""
    raw = xml.encode() if isinstance(xml, str) else xml
    if len(raw) > MAX_METADATA_BYTES:
        raise invalid(f"the IdP metadata is larger than {MAX_METADATA_BYTES} bytes", "metadata")
    if not raw.strip():
        raise invalid("the IdP metadata is empty", "metadata")
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            raw, required_sso_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT
        )
    except Exception as exc:  # lxml syntax errors, DTDs and entities (refused), ...
        raise invalid(f"the IdP metadata is not valid XML ({exc})", "metadata") from None
    idp = parsed.get("idp") or {}
    entity_id = (idp.get("entityId") or "").strip()
    if not entity_id:
        raise invalid(
            "the IdP metadata has no EntityDescriptor with an IDPSSODescriptor and entityID",
            "metadata",
        )
    sso_url = ((idp.get("singleSignOnService") or {}).get("url") or "").strip()
    if not sso_url:
        raise invalid(
            "the IdP metadata has no SingleSignOnService with the HTTP-Redirect binding",
            "metadata",
        )
    parts = urlsplit(sso_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise invalid(f"the IdP's SSO URL {sso_url!r} is not an http(s) URL", "metadata")
    raw_certs: list[str] = []
    if idp.get("x509cert"):
        raw_certs.append(idp["x509cert"])
    raw_certs += list((idp.get("x509certMulti") or {}).get("signing") or [])
    if not raw_certs:
        raise invalid("the IdP metadata has no signing certificate", "metadata")
    certificates: list[str] = []
    for raw_cert in raw_certs:
        pem = normalise_certificate(raw_cert)
        if pem not in certificates:
            certificates.append(pem)
    return IdpMetadata(entity_id=entity_id, sso_url=sso_url, certificates=tuple(certificates))


async def configure_idp(
    db: Database,
    tenant: Tenant,
    metadata_xml: str | bytes,
    *,
    keep_certificates: bool = False,
    enable: bool = False,
    actor: str = "system",
) -> SsoSettings:
    """Store the IdP's metadata. With `keep_certificates` the certificates already
    trusted stay trusted beside the new ones (a rollover); otherwise they are replaced."""
    metadata = parse_idp_metadata(metadata_xml)
    current = await get_settings(db, tenant)
    certificates = list(metadata.certificates)
    if keep_certificates:
        certificates += [c for c in current.idp_certificates if c not in certificates]
    _check_count(certificates)
    text = metadata_xml.decode() if isinstance(metadata_xml, bytes) else metadata_xml
    values = {
        "idp_entity_id": metadata.entity_id,
        "idp_sso_url": metadata.sso_url,
        "idp_certificates": certificates,
        "idp_metadata_xml": text,
    }
    async with db.write() as conn:
        await store.save_config(conn, tenant.id, values, utcnow())
        await _audit(
            conn,
            tenant,
            actor,
            "sso.idp_configure",
            {
                "idp_entity_id": metadata.entity_id,
                "idp_sso_url": metadata.sso_url,
                "certificates": [certificate_info(c).fingerprint for c in certificates],
            },
        )
    if enable:
        return await update_toggles(db, tenant, enabled=True, actor=actor)
    return await get_settings(db, tenant)


def _check_count(certificates: list[str]) -> None:
    if len(certificates) > MAX_CERTIFICATES:
        raise invalid(
            f"at most {MAX_CERTIFICATES} IdP certificates can be trusted at once; "
            "remove the retired ones first",
            "certificate",
        )


async def add_certificate(
    db: Database, tenant: Tenant, certificate: str, *, actor: str = "system"
) -> SsoSettings:
    """Trust one more IdP signing certificate (the new one, before the IdP switches)."""
    pem = normalise_certificate(certificate)
    current = await get_settings(db, tenant)
    if not current.idp_entity_id:
        raise invalid("configure the IdP from its metadata before adding certificates")
    certificates = list(current.idp_certificates)
    if pem not in certificates:
        certificates.append(pem)
    _check_count(certificates)
    async with db.write() as conn:
        await store.save_config(conn, tenant.id, {"idp_certificates": certificates}, utcnow())
        await _audit(
            conn, tenant, actor, "sso.certificate_add", {"added": certificate_info(pem).fingerprint}
        )
    return await get_settings(db, tenant)


async def remove_certificate(
    db: Database, tenant: Tenant, fingerprint: str, *, actor: str = "system"
) -> SsoSettings:
    """Stop trusting a certificate (the old one, once the IdP signs with the new)."""
    current = await get_settings(db, tenant)
    kept = [
        c
        for c in current.idp_certificates
        if not _same_fingerprint(certificate_info(c).fingerprint, fingerprint)
    ]
    if len(kept) == len(current.idp_certificates):
        raise invalid(f"no trusted IdP certificate has fingerprint {fingerprint}", "certificate")
    if not kept and current.enabled:
        raise invalid(
            "the last IdP certificate cannot be removed while SSO is enabled: nobody could "
            "sign in; add the new certificate first",
            "certificate",
        )
    async with db.write() as conn:
        await store.save_config(conn, tenant.id, {"idp_certificates": kept}, utcnow())
        await _audit(conn, tenant, actor, "sso.certificate_remove", {"removed": fingerprint})
    return await get_settings(db, tenant)


async def set_break_glass(
    db: Database, tenant: Tenant, email: str, break_glass: bool, *, actor: str = "system"
) -> None:
    """Let this console admin (or no longer) sign in with a password while SSO forbids
    passwords: the way in when the IdP is down or misconfigured."""
    async with db.write() as conn:
        if not await store.set_break_glass(conn, tenant.id, email.strip().lower(), break_glass):
            raise invalid(f"no console admin {email!r} in {tenant.subdomain!r}", "email")
        await _audit(
            conn, tenant, actor, "sso.break_glass", {"email": email, "break_glass": break_glass}
        )


async def link_console_user(
    db: Database, tenant: Tenant, email: str, nameid: str | None, *, actor: str = "system"
) -> None:
    """Link a console admin to the NameID the IdP signs for them (None: unlink).

    With the email NameID format an admin whose Roster login is their IdP login needs
    no link. A link is needed when they differ (an employee-number NameID, a renamed
    login), and it is the only other way an SSO sign-in reaches the console."""
    value = nameid.strip() if nameid is not None else None
    if value is not None and not 0 < len(value) <= 320:
        raise invalid("the NameID must be 1 to 320 characters", "nameid")
    if value is not None and any(ord(c) < 32 for c in value):
        raise invalid("the NameID must not contain control characters", "nameid")
    try:
        async with db.write() as conn:
            if not await store.link_sso_nameid(conn, tenant.id, email.strip().lower(), value):
                raise invalid(f"no console admin {email!r} in {tenant.subdomain!r}", "email")
            await _audit(conn, tenant, actor, "sso.console_link", {"email": email, "nameid": value})
    except IntegrityError:
        raise conflict(
            f"the NameID {value!r} is already linked to another console admin of "
            f"{tenant.subdomain!r}; unlink it there first"
        ) from None


async def _audit(
    conn: AsyncConnection, tenant: Tenant, actor: str, action: str, changes: Any
) -> None:
    await record_change(conn, tenant.id, Actor(actor), action, "Sso", None, changes=changes)
