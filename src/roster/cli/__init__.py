"""The `roster` command. Its commands and options are stable: others script against them.

This module only assembles the command groups; each lives in its own module of this
package (serve, tenants, scim, attributes, people, groups, admins, support, csv, doctor,
sso, api_tokens, webhooks, security_events), and what they share is in roster.cli.common."""

from __future__ import annotations

import typer

from roster.cli import (
    admins,
    api_tokens,
    attributes,
    csv,
    doctor,
    groups,
    people,
    scim,
    security_events,
    serve,
    sso,
    support,
    tenants,
    webhooks,
)

app = typer.Typer(help="Roster: people directory and SCIM 2.0 service.", no_args_is_help=True)
# In the order `roster --help` lists them: the top-level commands, then the groups.
app.add_typer(serve.commands)
app.add_typer(csv.commands)
app.add_typer(doctor.commands)
app.add_typer(serve.db_app, name="db")
app.add_typer(tenants.tenant_app, name="tenant")
app.add_typer(scim.scim_app, name="scim")
app.add_typer(attributes.attribute_app, name="attribute")
app.add_typer(people.person_app, name="person")
app.add_typer(groups.group_app, name="group")
app.add_typer(admins.admin_app, name="admin")
app.add_typer(support.support_app, name="support")
app.add_typer(sso.sso_app, name="sso")
app.add_typer(api_tokens.api_token_app, name="api-token")
app.add_typer(webhooks.webhook_app, name="webhook")
app.add_typer(webhooks.events_app, name="events")
webhooks.events_app.add_typer(security_events.set_receiver_app, name="set-receiver")
webhooks.events_app.add_typer(security_events.signing_key_app, name="signing-key")


def main() -> None:
    app()
