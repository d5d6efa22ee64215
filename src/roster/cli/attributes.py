"""`roster attribute ...`: a company's custom attributes."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli.common import CLI, run
from roster.directory import tenants

attribute_app = typer.Typer(help="A company's custom attributes.", no_args_is_help=True)


@attribute_app.command("add")
def attribute_add(
    subdomain: str,
    name: str,
    type_: Annotated[
        str, typer.Option("--type", help="string, number, boolean or date.")
    ] = "string",
) -> None:
    """Define a custom attribute ahead of the identity provider sending it."""
    run(lambda db: tenants.add_custom_attribute(db, subdomain, name, type_, actor=CLI))
    typer.echo(f"added custom attribute {name} ({type_})")
