"""`roster support ...`: what Roster support switches on for a company."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli.common import CLI, run
from roster.directory import tenants

support_app = typer.Typer(
    help="What Roster support switches on for a company.", no_args_is_help=True
)


@support_app.command("allow-csv")
def support_allow_csv(
    subdomain: str,
    off: Annotated[bool, typer.Option("--off", help="Withdraw the permission.")] = False,
) -> None:
    """Let a company import people by CSV while SCIM is on (or stop letting it)."""
    run(lambda db: tenants.update_settings(db, subdomain, CLI, allow_csv_import=not off))
    state = "no longer allowed" if off else "allowed"
    typer.echo(f"CSV import while SCIM is on is {state} for {subdomain}")
