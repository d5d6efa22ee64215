"""`roster person ...`: people added, edited, deactivated, reactivated, restored and
their email freed outside SCIM, with the console's rules (directory/person_edits.py):
the same registry, the same checks and errors, the CLI as actor."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli.common import CLI, fail, run
from roster.directory import people, person_edits, tenants, tombstones
from roster.model.person import new_person
from roster.model.person_edit import field_named, read_edit
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
        await tombstones.restore_person(db, tenant, person_id, actor=CLI)

    run(restore)
    typer.echo(f"restored {person_id}")


@person_app.command("set")
def person_set(
    subdomain: str,
    person_id: str,
    field: Annotated[
        list[str],
        typer.Option(
            "--field",
            help="NAME=VALUE (repeat it). NAME is the attribute's SCIM name (title, "
            "startDate, name.givenName, manager, customBadge), its field (start_date) or its "
            "label (Start date); an empty VALUE clears it. Dates YYYY-MM-DD; the manager "
            "by email, employee number or Roster user id; timezone an IANA name.",
        ),
    ],
) -> None:
    """Change a person's fields, as the console's edit form does (while SCIM is on, only
    Roster's own fields, such as timezone)."""

    async def edit(db: Database) -> list[str]:
        tenant = await tenants.get_tenant(db, subdomain)
        fields = person_edits.editable_fields(tenant)
        values: dict[str, str] = {}
        for item in field:
            name, sep, value = item.partition("=")
            found = field_named(fields, name)
            if not sep or found is None:
                known = ", ".join(f.name for f in fields if f.editable)
                raise fail(f"--field {item!r}: give NAME=VALUE with NAME one of {known}")
            values[found.field] = value
        # A refused value is a FieldErrors naming each field: run() prints it.
        data = read_edit(fields, values, tenants.custom_attributes(tenant))
        await person_edits.edit_person(db, tenant, person_id, data, actor=CLI)
        return [data.labels[k] for k in values]

    typer.echo(f"saved {person_id}: {', '.join(run(edit))}")


@person_app.command("deactivate")
def person_deactivate(subdomain: str, person_id: str) -> None:
    """Deactivate a person: signed out everywhere, kept with their data (refused while
    SCIM is on: the identity provider deactivates people then)."""

    async def deactivate(db: Database) -> None:
        tenant = await tenants.get_tenant(db, subdomain)
        await person_edits.set_active(db, tenant, person_id, False, actor=CLI)

    run(deactivate)
    typer.echo(f"deactivated {person_id}")


@person_app.command("reactivate")
def person_reactivate(subdomain: str, person_id: str) -> None:
    """Reactivate a deactivated person (refused while SCIM is on)."""

    async def reactivate(db: Database) -> None:
        tenant = await tenants.get_tenant(db, subdomain)
        await person_edits.set_active(db, tenant, person_id, True, actor=CLI)

    run(reactivate)
    typer.echo(f"reactivated {person_id}")


@person_app.command("free-email")
def person_free_email(subdomain: str, person_id: str) -> None:
    """Free a deactivated person's email and username (they become
    freed+<id>@roster.invalid), so the identity provider can create someone new with
    them: the fix for its 409 "email already in use". Allowed while SCIM is on."""

    async def free(db: Database) -> str:
        tenant = await tenants.get_tenant(db, subdomain)
        written = await person_edits.free_email(db, tenant, person_id, actor=CLI)
        return str(written.person["email"])

    typer.echo(f"freed: {person_id} is now {run(free)}")
