"""`roster tenant ...`: companies."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli.common import CLI, run
from roster.directory import tenants

tenant_app = typer.Typer(help="Companies.", no_args_is_help=True)


@tenant_app.command("create")
def tenant_create(
    subdomain: str,
    name: Annotated[str | None, typer.Option(help='Display name, e.g. "Acme Inc".')] = None,
) -> None:
    """Create a company."""
    tenant = run(lambda db: tenants.create_tenant(db, subdomain, name, actor=CLI))
    typer.echo(f"created company {tenant.subdomain} ({tenant.name})")
