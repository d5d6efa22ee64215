"""`roster sso ...`: a company's SAML single sign-on from the command line (the same
directory/sso.py rules as the console's "SAML Single Sign-On" page)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from roster.cli.common import fail, run
from roster.config import get_settings
from roster.directory import sso, tenants
from roster.directory.sso import SsoSettings
from roster.sso.saml import SpUrls
from roster.store.db import Database

sso_app = typer.Typer(help="SAML single sign-on for a company.", no_args_is_help=True)
cert_app = typer.Typer(help="The IdP's signing certificates (rollover).", no_args_is_help=True)
sso_app.add_typer(cert_app, name="cert")
ACTOR = "cli"


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > sso.MAX_METADATA_BYTES:
        raise fail(f"{path} is larger than {sso.MAX_METADATA_BYTES} bytes")
    return data


def _describe(subdomain: str, settings: SsoSettings) -> None:
    public = get_settings().public_url
    urls = SpUrls.for_company(public or "http://127.0.0.1:8000", subdomain)
    lines = [
        "Roster (the service provider) — paste these into the IdP's SAML app:",
        f"  Single sign-on URL (ACS):  {urls.acs}",
        f"  Audience URI (entity id):  {urls.entity_id}",
        f"  SP metadata:               {urls.metadata}",
        f"  SP-initiated sign-in:      {urls.login}",
    ]
    if not public:
        lines.append("  (ROSTER_PUBLIC_URL is not set: these use http://127.0.0.1:8000)")
    lines += [
        "Identity provider:",
        f"  entity id:  {settings.idp_entity_id or '(not configured)'}",
        f"  SSO URL:    {settings.idp_sso_url or '(not configured)'}",
    ]
    for pem in settings.idp_certificates:
        info = sso.certificate_info(pem)
        state = "EXPIRED" if info.expired else f"valid until {info.not_after:%Y-%m-%d}"
        lines.append(f"  certificate {info.fingerprint} ({info.subject}; {state})")
    lines += [
        "Settings:",
        f"  enabled:                 {'yes' if settings.enabled else 'no'}",
        f"  password sign-in:        {'allowed' if settings.allow_password_signin else 'off'}",
        f"  IdP-initiated sign-in:   {'allowed' if settings.allow_idp_initiated else 'off'}",
        f"  create people (JIT):     {'on' if settings.allow_jit else 'off'}",
        f"  NameID is:               {settings.nameid}",
    ]
    typer.echo("\n".join(lines))


@sso_app.command("configure")
def configure(
    subdomain: str,
    idp_metadata: Annotated[
        Path, typer.Option("--idp-metadata", help="The IdP's SAML metadata XML file.")
    ],
    keep_certificates: Annotated[
        bool,
        typer.Option(help="Keep trusting the certificates already configured (rollover)."),
    ] = False,
    enable: Annotated[bool, typer.Option(help="Turn SSO on as well.")] = False,
) -> None:
    """Configure the company's IdP from its metadata (entity id, SSO URL, certificates)."""
    xml = _read(idp_metadata)

    async def go(db: Database) -> SsoSettings:
        tenant = await tenants.get_tenant(db, subdomain)
        return await sso.configure_idp(
            db, tenant, xml, keep_certificates=keep_certificates, enable=enable, actor=ACTOR
        )

    _describe(subdomain, run(go))


@sso_app.command("show")
def show(subdomain: str) -> None:
    """Roster's SP values for the IdP, the IdP configured, and the toggles."""

    async def go(db: Database) -> SsoSettings:
        return await sso.get_settings(db, await tenants.get_tenant(db, subdomain))

    _describe(subdomain, run(go))


@sso_app.command("set")
def set_toggles(
    subdomain: str,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Single sign-on on or off.")
    ] = None,
    allow_password_signin: Annotated[
        bool | None,
        typer.Option(
            "--allow-password-signin/--no-allow-password-signin",
            help="Passwords still work (keep on while testing SSO).",
        ),
    ] = None,
    allow_idp_initiated: Annotated[
        bool | None,
        typer.Option(
            "--allow-idp-initiated/--no-allow-idp-initiated",
            help="Accept sign-ins started at the IdP (Okta dashboard tile).",
        ),
    ] = None,
    allow_jit: Annotated[
        bool | None,
        typer.Option(
            "--allow-jit/--no-allow-jit",
            help="Create unknown people at sign-in (refused while SCIM is on).",
        ),
    ] = None,
    nameid: Annotated[
        str | None, typer.Option(help="What the NameID is: email or employee_number.")
    ] = None,
) -> None:
    """Change the SSO toggles."""

    async def go(db: Database) -> SsoSettings:
        tenant = await tenants.get_tenant(db, subdomain)
        return await sso.update_toggles(
            db,
            tenant,
            enabled=enable,
            allow_password_signin=allow_password_signin,
            allow_idp_initiated=allow_idp_initiated,
            allow_jit=allow_jit,
            nameid=nameid,
            actor=ACTOR,
        )

    _describe(subdomain, run(go))


@cert_app.command("add")
def cert_add(
    subdomain: str,
    certificate: Annotated[Path, typer.Argument(help="PEM file of the IdP's new certificate.")],
) -> None:
    """Trust one more IdP signing certificate (before the IdP switches to it)."""
    pem = _read(certificate).decode(errors="replace")

    async def go(db: Database) -> SsoSettings:
        tenant = await tenants.get_tenant(db, subdomain)
        return await sso.add_certificate(db, tenant, pem, actor=ACTOR)

    _describe(subdomain, run(go))


@cert_app.command("remove")
def cert_remove(subdomain: str, fingerprint: str) -> None:
    """Stop trusting a certificate (SHA-256 fingerprint, as `roster sso show` prints)."""

    async def go(db: Database) -> SsoSettings:
        tenant = await tenants.get_tenant(db, subdomain)
        return await sso.remove_certificate(db, tenant, fingerprint, actor=ACTOR)

    _describe(subdomain, run(go))


@sso_app.command("break-glass")
def break_glass(
    subdomain: str,
    email: str,
    off: Annotated[bool, typer.Option("--off", help="Take the exception away.")] = False,
) -> None:
    """Let a console admin sign in with a password even when SSO forbids passwords."""

    async def go(db: Database) -> None:
        tenant = await tenants.get_tenant(db, subdomain)
        await sso.set_break_glass(db, tenant, email, not off, actor=ACTOR)

    run(go)
    typer.echo(
        f"{email} {'may no longer' if off else 'may'} sign in with a password while SSO is on"
    )


@sso_app.command("link")
def link(
    subdomain: str,
    email: Annotated[str, typer.Argument(help="The console admin's login.")],
    nameid: Annotated[
        str, typer.Argument(help="The NameID the IdP signs for them (as in the log).")
    ] = "",
    off: Annotated[bool, typer.Option("--off", help="Remove the link.")] = False,
) -> None:
    """Link a console admin to the NameID the IdP signs for them (when it is not their login)."""
    if not off and not nameid:
        raise fail("give the NAMEID to link, or --off to remove the link")

    async def go(db: Database) -> None:
        tenant = await tenants.get_tenant(db, subdomain)
        await sso.link_console_user(db, tenant, email, None if off else nameid, actor=ACTOR)

    run(go)
    typer.echo(
        f"{email} no longer reaches the console through an SSO link"
        if off
        else f"signing in through SSO as {nameid!r} now opens the console as {email}"
    )
