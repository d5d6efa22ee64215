"""`roster person ...`: people added or restored outside SCIM."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli.common import CLI, run
from roster.directory import people, tenants
from roster.model.person import new_person
from roster.store.db import Database

person_app = typer.Typer(help="People (outside SCIM).", no_args_is_help=True)


@person_app.command("add")
def person_add(
    subdomain: str,
    email: str,
    given_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    family_name: Annotated[str | None, typer.Option(help="Last name.")] = None,
) -> None:
    """Add a person (refused while SCIM is on: the identity provider creates people then)."""

    async def add(db: Database) -> str:
        tenant = await tenants.get_tenant(db, subdomain)
        data = new_person(email, email=email, given_name=given_name, family_name=family_name)
        written = await people.create_person(db, tenant, data, actor=CLI, source="cli")
        return str(written.person["id"])

    typer.echo(run(add))


@person_app.command("restore")
def person_restore(subdomain: str, person_id: str) -> None:
    """Bring back a person deleted over SCIM (DELETE keeps their data)."""

    async def restore(db: Database) -> None:
        tenant = await tenants.get_tenant(db, subdomain)
        await people.restore_person(db, tenant, person_id, actor=CLI)

    run(restore)
    typer.echo(f"restored {person_id}")
