"""`roster group ...`: Roster's own groups."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli.common import CLI, run
from roster.directory import roster_groups, tenants
from roster.store.db import Database

group_app = typer.Typer(help="Roster's own groups.", no_args_is_help=True)


@group_app.command("add")
def group_add(
    subdomain: str,
    name: str,
    type_: Annotated[
        str, typer.Option("--type", help="Roster's group type: Groups, Departments, Teams...")
    ] = "Groups",
) -> None:
    """Create a Roster group (Roster's to edit; the identity provider can import it)."""

    async def add(db: Database) -> str:
        tenant = await tenants.get_tenant(db, subdomain)
        group = await roster_groups.add_roster_group(db, tenant, name, type_, actor=CLI)
        return str(group["id"])

    typer.echo(run(add))
