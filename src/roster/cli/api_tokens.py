"""`roster api-token ...`: tokens a downstream service reads the events feed with
(GET /api/v1/events; docs/events.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from roster.cli.common import CLI, run
from roster.directory import api_tokens

api_token_app = typer.Typer(help="API tokens for the events feed.", no_args_is_help=True)


@api_token_app.command("create")
def api_token_create(
    subdomain: str,
    label: Annotated[str, typer.Option(help="Who reads with it, e.g. Reviews service.")] = "",
) -> None:
    """Create a token: its id, then the secret alone on the last line (shown once)."""
    token_id, secret = run(lambda db: api_tokens.create_api_token(db, subdomain, label, actor=CLI))
    typer.echo(f"API token {token_id} for {subdomain}; the secret is shown only now:")
    sys.stdout.write(secret + "\n")


@api_token_app.command("list")
def api_token_list(subdomain: str) -> None:
    """List a company's API tokens (never their secrets)."""
    records = run(lambda db: api_tokens.list_api_tokens(db, subdomain))
    table = Table("id", "label", "created", "last used", "status")
    for r in records:
        table.add_row(
            r.id,
            r.label,
            r.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            r.last_used_at.strftime("%Y-%m-%d %H:%M:%SZ") if r.last_used_at else "never",
            "revoked" if r.revoked_at else "active",
        )
    Console(width=200).print(table)


@api_token_app.command("revoke")
def api_token_revoke(subdomain: str, token_id: str) -> None:
    """Revoke an API token; it fails from the next request on."""
    run(lambda db: api_tokens.revoke_api_token(db, subdomain, token_id, actor=CLI))
    typer.echo(f"revoked API token {token_id}")
