"""`roster admin ...`: a company's console admins: create one with a password (read
from stdin or prompted for), or list, invite, change roles, reset a password, remove
and unlock (directory/admin_team.py's rules, the console's Admins page's too). A
one-time set-password link is printed alone on the last line."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from roster.cli.common import CLI, run

ROLE_HELP = "account_admin, manage_integrations (repeat for both)."
Roles = Annotated[list[str] | None, typer.Option("--role", help=ROLE_HELP)]

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


def _link(token: str) -> str:
    from roster.config import get_settings
    from roster.directory.admin_links import link_path, link_url

    base = get_settings().public_url
    return link_url(base, token) if base else link_path(token)


def _print_link(intro: str, token: str, expires: str) -> None:
    from roster.config import get_settings

    typer.echo(intro)
    typer.echo(f"The link below works once, until {expires}. Pass it on privately:")
    if not get_settings().public_url:
        typer.echo("(ROSTER_PUBLIC_URL is not set: put Roster's address in front of it)")
    typer.echo(_link(token))


@admin_app.command("list")
def admin_list(subdomain: str) -> None:
    """The company's admins: email, name, roles, status, last sign-in."""
    from rich.console import Console
    from rich.table import Table

    from roster.directory import admin_team

    views = run(lambda db: admin_team.list_admins(db, subdomain))
    table = Table("email", "name", "roles", "status", "last sign-in")
    for v in views:
        last = v.user.last_login_at
        table.add_row(
            v.user.email,
            v.user.name or "",
            ", ".join(v.user.role_names),
            v.status_text,
            last.strftime("%Y-%m-%d %H:%M UTC") if last else "never",
        )
    Console(width=200).print(table)


@admin_app.command("invite")
def admin_invite(
    subdomain: str,
    email: str,
    role: Roles = None,
    name: Annotated[str, typer.Option(help="The admin's name, as the list shows it.")] = "",
) -> None:
    """Invite an admin: prints a one-time set-password link (no mail is sent)."""
    from roster.directory import admin_team

    user, link = run(
        lambda db: admin_team.invite_admin(db, subdomain, email, role or [], name=name, actor=CLI)
    )
    _print_link(
        f"invited {user.email} ({', '.join(user.role_names)}) to {subdomain}",
        link.token,
        link.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


@admin_app.command("set-roles")
def admin_set_roles(subdomain: str, email: str, role: Roles = None) -> None:
    """Replace an admin's roles (the last Account Admin who can sign in keeps theirs)."""
    from roster.directory import admin_team

    async def change(db: Any) -> Any:
        user = await admin_team.admin_by_email(db, subdomain, email)
        return await admin_team.set_roles(db, subdomain, user.id, role or [], actor=CLI)

    user = run(change)
    typer.echo(f"{user.email} of {subdomain}: {', '.join(user.role_names)}")


@admin_app.command("reset-password")
def admin_reset_password(subdomain: str, email: str) -> None:
    """Clear an admin's password now (their sessions end) and print a set-password link."""
    from roster.directory import admin_team

    async def reset(db: Any) -> Any:
        user = await admin_team.admin_by_email(db, subdomain, email)
        return await admin_team.reset_password(db, subdomain, user.id, actor=CLI)

    user, link = run(reset)
    _print_link(
        f"password of {user.email} ({subdomain}) cleared and their sessions ended",
        link.token,
        link.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


@admin_app.command("remove")
def admin_remove(subdomain: str, email: str) -> None:
    """Remove an admin; their sessions end at once."""
    from roster.directory import admin_team

    async def remove(db: Any) -> Any:
        user = await admin_team.admin_by_email(db, subdomain, email)
        return await admin_team.remove_admin(db, subdomain, user.id, actor=CLI)

    user = run(remove)
    typer.echo(f"removed admin {user.email} from {subdomain}")


@admin_app.command("unlock")
def admin_unlock(subdomain: str, email: str) -> None:
    """Clear an admin's sign-in lockout after too many failed passwords."""
    from roster.directory import admin_team

    async def unlock(db: Any) -> Any:
        user = await admin_team.admin_by_email(db, subdomain, email)
        return await admin_team.unlock_admin(db, subdomain, user.id, actor=CLI)

    if run(unlock):
        typer.echo(f"unlocked {email} of {subdomain}: they can sign in again")
    else:
        typer.echo(f"{email} of {subdomain} was not locked: nothing changed")
