"""`roster admin ...`: console admins (a company's Account Admins); the password is
read from stdin or prompted for."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from roster.cli.common import CLI, run

admin_app = typer.Typer(help="Console admins (a company's Account Admins).", no_args_is_help=True)


def _read_password() -> str:
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return str(password)
    return sys.stdin.readline().rstrip("\r\n")


@admin_app.command("create")
def admin_create(
    subdomain: str,
    email: str,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="account_admin, manage_integrations (repeat; default: both, i.e. "
            "'Account Admin with Manage Integrations').",
        ),
    ] = None,
    break_glass: Annotated[
        bool, typer.Option(help="May use a password even when SSO turns passwords off.")
    ] = False,
) -> None:
    """Create a console admin; the password is read from stdin (or prompted for)."""
    from roster.directory import admins

    password = _read_password()
    roles = role or [admins.ACCOUNT_ADMIN, admins.MANAGE_INTEGRATIONS]
    user = run(
        lambda db: admins.create_admin(
            db, subdomain, email, password, roles=roles, break_glass=break_glass, actor=CLI
        )
    )
    typer.echo(f"created console admin {user.email} ({', '.join(user.role_names)}) for {subdomain}")
