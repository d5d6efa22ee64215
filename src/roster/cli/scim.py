"""`roster scim ...`: SCIM provisioning for a company turned on or off, and its bearer
tokens (`roster scim token create/list/revoke`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from roster.cli.common import CLI, print_tokens, run
from roster.directory import tenants, tokens

scim_app = typer.Typer(help="SCIM provisioning for a company.", no_args_is_help=True)
token_app = typer.Typer(help="SCIM bearer tokens.", no_args_is_help=True)
scim_app.add_typer(token_app, name="token")


@scim_app.command("enable")
def scim_enable(subdomain: str) -> None:
    """Turn SCIM provisioning on for a company."""
    run(lambda db: tenants.set_scim_enabled(db, subdomain, True, actor=CLI))
    typer.echo(f"SCIM enabled for {subdomain}")


@scim_app.command("disable")
def scim_disable(subdomain: str) -> None:
    """Turn SCIM provisioning off; every token stops working until it is turned on again."""
    run(lambda db: tenants.set_scim_enabled(db, subdomain, False, actor=CLI))
    typer.echo(f"SCIM disabled for {subdomain}")


@scim_app.command("accept-passwords")
def scim_accept_passwords(
    subdomain: str,
    off: Annotated[bool, typer.Option("--off", help="Discard them again.")] = False,
) -> None:
    """Store the passwords the identity provider sends (refused while SSO is on);
    by default they are discarded, never stored."""
    run(lambda db: tenants.update_settings(db, subdomain, CLI, accept_idp_passwords=not off))
    state = "discarded, never stored" if off else "stored (SSO stays off)"
    typer.echo(f"passwords from the identity provider are {state} for {subdomain}")


@token_app.command("create")
def token_create(
    subdomain: str,
    label: Annotated[
        str,
        typer.Option(help="What the token is for, e.g. Okta; unique among live tokens."),
    ] = "",
) -> None:
    """Create a token and print it once, alone on stdout (its fingerprint on stderr)."""
    _token_id, secret = run(lambda db: tokens.create_token(db, subdomain, label, actor=CLI))
    sys.stdout.write(secret + "\n")
    typer.echo(f"fingerprint {tokens.fingerprint(secret)}", err=True)


@token_app.command("list")
def token_list(subdomain: str) -> None:
    """List a company's tokens (never their secrets)."""
    print_tokens(run(lambda db: tokens.list_tokens(db, subdomain)))


@token_app.command("revoke")
def token_revoke(subdomain: str, token_id: str) -> None:
    """Revoke a token; it fails from the next request on."""
    run(lambda db: tokens.revoke_token(db, subdomain, token_id, actor=CLI))
    typer.echo(f"revoked token {token_id}")
