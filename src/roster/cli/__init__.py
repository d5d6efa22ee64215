"""The `roster` command. Its commands and options are stable: others script against them."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError

from roster.config import Settings, get_settings
from roster.directory import groups, people, tenants, tokens
from roster.directory.people import Actor
from roster.model.errors import DirectoryError
from roster.model.registry import UserSchemas
from roster.scim.errors import ScimError
from roster.scim.users import parse_user
from roster.store import migrate
from roster.store.db import Database, DatabaseURLError

T = TypeVar("T")

app = typer.Typer(help="Roster: people directory and SCIM 2.0 service.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Companies.", no_args_is_help=True)
scim_app = typer.Typer(help="SCIM provisioning for a company.", no_args_is_help=True)
token_app = typer.Typer(help="SCIM bearer tokens.", no_args_is_help=True)
attribute_app = typer.Typer(help="A company's custom attributes.", no_args_is_help=True)
person_app = typer.Typer(help="People (outside SCIM).", no_args_is_help=True)
group_app = typer.Typer(help="Roster's own groups.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(scim_app, name="scim")
scim_app.add_typer(token_app, name="token")
app.add_typer(attribute_app, name="attribute")
app.add_typer(person_app, name="person")
app.add_typer(group_app, name="group")
CLI = Actor("cli")

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _reason(exc: Exception) -> str:
    """One line: the driver's message without SQLAlchemy's background link."""
    if isinstance(exc, OperationalError):
        return str(exc.orig).splitlines()[0] if exc.orig is not None else "operational error"
    return str(exc)


def run(action: Callable[[Database], Awaitable[T]], *, upgrade: bool = True) -> T:
    """Run one directory action against the configured database, schema upgraded first."""
    settings = get_settings()

    async def go() -> T:
        database = Database(settings.database_url, pool_size=2)
        try:
            return await action(database)
        finally:
            await database.dispose()

    try:
        if upgrade:
            migrate.upgrade(settings.database_url)
        return asyncio.run(go())
    except DirectoryError as exc:
        raise fail(exc.message) from None
    except DatabaseURLError as exc:
        raise fail(f"ROSTER_DATABASE_URL: {exc}") from None
    except (OSError, OperationalError) as exc:
        raise fail(f"cannot reach the database ({_reason(exc)})") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Upgrade the schema, then serve Roster over HTTP."""
    import uvicorn

    settings = get_settings()
    if settings.metrics_port and workers > 1:
        raise fail(
            "ROSTER_METRICS_PORT serves one process's metrics: use it with --workers 1, "
            "or protect the public /metrics with ROSTER_METRICS_TOKEN instead"
        )
    try:
        migrate.upgrade(settings.database_url)
    except DatabaseURLError as exc:
        raise fail(f"ROSTER_DATABASE_URL: {exc}") from None
    except (OSError, OperationalError) as exc:
        raise fail(f"cannot reach the database ({_reason(exc)})") from None
    uvicorn.run(
        "roster.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level=settings.log_level.lower(),
        timeout_keep_alive=75,  # longer than Okta's idle connections
        # X-Forwarded-For decides the address sign-in attempts are counted against, so it
        # is believed only from the proxies the operator lists (uvicorn's own default
        # believes 127.0.0.1, which is every client of a proxy on the same machine).
        proxy_headers=bool(settings.trusted_proxy_list),
        forwarded_allow_ips=settings.trusted_proxy_list or None,
        # Importing the app takes seconds on a busy machine; don't restart-loop workers.
        timeout_worker_healthcheck=30,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest version."""
    settings = get_settings()
    try:
        migrate.upgrade(settings.database_url)
    except DatabaseURLError as exc:
        raise fail(f"ROSTER_DATABASE_URL: {exc}") from None
    except (OSError, OperationalError) as exc:
        raise fail(f"cannot reach the database ({_reason(exc)})") from None
    typer.echo("database schema is up to date")


@tenant_app.command("create")
def tenant_create(
    subdomain: str,
    name: Annotated[str | None, typer.Option(help='Display name, e.g. "Acme Inc".')] = None,
) -> None:
    """Create a company."""
    tenant = run(lambda db: tenants.create_tenant(db, subdomain, name))
    typer.echo(f"created company {tenant.subdomain} ({tenant.name})")


@scim_app.command("enable")
def scim_enable(subdomain: str) -> None:
    """Turn SCIM provisioning on for a company."""
    run(lambda db: tenants.set_scim_enabled(db, subdomain, True))
    typer.echo(f"SCIM enabled for {subdomain}")


@scim_app.command("disable")
def scim_disable(subdomain: str) -> None:
    """Turn SCIM provisioning off; every token stops working until it is turned on again."""
    run(lambda db: tenants.set_scim_enabled(db, subdomain, False))
    typer.echo(f"SCIM disabled for {subdomain}")


@token_app.command("create")
def token_create(
    subdomain: str,
    label: Annotated[str, typer.Option(help="What the token is for, e.g. Okta.")] = "",
) -> None:
    """Create a token and print it once, alone on stdout."""
    _token_id, secret = run(lambda db: tokens.create_token(db, subdomain, label))
    sys.stdout.write(secret + "\n")


@token_app.command("list")
def token_list(subdomain: str) -> None:
    """List a company's tokens (never their secrets)."""
    records = run(lambda db: tokens.list_tokens(db, subdomain))
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


@token_app.command("revoke")
def token_revoke(subdomain: str, token_id: str) -> None:
    """Revoke a token; it fails from the next request on."""
    run(lambda db: tokens.revoke_token(db, subdomain, token_id))
    typer.echo(f"revoked token {token_id}")


@attribute_app.command("add")
def attribute_add(
    subdomain: str,
    name: str,
    type_: Annotated[
        str, typer.Option("--type", help="string, number, boolean or date.")
    ] = "string",
) -> None:
    """Define a custom attribute ahead of the identity provider sending it."""
    run(lambda db: tenants.add_custom_attribute(db, subdomain, name, type_))
    typer.echo(f"added custom attribute {name} ({type_})")


@person_app.command("add")
def person_add(
    subdomain: str,
    email: str,
    given_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    family_name: Annotated[str | None, typer.Option(help="Last name.")] = None,
) -> None:
    """Add a person (refused while SCIM is on: the identity provider creates people then)."""
    settings: Settings = get_settings()

    async def add(db: Database) -> str:
        tenant = await tenants.get_tenant(db, subdomain)
        schemas = UserSchemas(settings.company_extension_urn, tenants.custom_attributes(tenant))
        body = {
            "userName": email,
            "emails": [{"value": email, "type": "work", "primary": True}],
            "name": {"givenName": given_name, "familyName": family_name},
        }
        data = parse_user(body, schemas)
        written = await people.create_person(db, tenant, data, actor=CLI, source="cli")
        return str(written.person["id"])

    try:
        person_id = run(add)
    except ScimError as exc:
        raise fail(exc.detail) from None
    typer.echo(person_id)


@person_app.command("restore")
def person_restore(subdomain: str, person_id: str) -> None:
    """Bring back a person deleted over SCIM (DELETE keeps their data)."""

    async def restore(db: Database) -> None:
        tenant = await tenants.get_tenant(db, subdomain)
        await people.restore_person(db, tenant, person_id, actor=CLI)

    run(restore)
    typer.echo(f"restored {person_id}")


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
        group = await groups.add_roster_group(db, tenant, name, type_, actor=CLI)
        return str(group["id"])

    typer.echo(run(add))


# --- Console admins, CSV import, support and troubleshooting (the admin console's) ---

admin_app = typer.Typer(help="Console admins (a company's Account Admins).", no_args_is_help=True)
support_app = typer.Typer(
    help="What Roster support switches on for a company.", no_args_is_help=True
)
app.add_typer(admin_app, name="admin")
app.add_typer(support_app, name="support")


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
            db, subdomain, email, password, roles=roles, break_glass=break_glass
        )
    )
    typer.echo(f"created console admin {user.email} ({', '.join(user.role_names)}) for {subdomain}")


@support_app.command("allow-csv")
def support_allow_csv(
    subdomain: str,
    off: Annotated[bool, typer.Option("--off", help="Withdraw the permission.")] = False,
) -> None:
    """Let a company import people by CSV while SCIM is on (or stop letting it)."""
    run(lambda db: tenants.update_settings(db, subdomain, allow_csv_import=not off))
    state = "no longer allowed" if off else "allowed"
    typer.echo(f"CSV import while SCIM is on is {state} for {subdomain}")


@app.command("import-csv")
def import_csv(
    subdomain: str,
    file: Annotated[str, typer.Argument(help="A CSV file whose first line names the columns.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would happen.")
    ] = False,
) -> None:
    """Import people from a CSV file: all rows or, if any is rejected, none."""
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from roster.directory import csv_import

    try:
        raw = Path(file).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None
    settings = get_settings()
    out = Console(stderr=True)

    async def go(db: Database) -> csv_import.Plan:
        tenant = await tenants.get_tenant(db, subdomain)
        csv_import.check_allowed(tenant)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=out,
            transient=False,
        ) as progress:
            tasks: dict[str, object] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    label = "checking rows" if stage == "check" else "writing people"
                    tasks[stage] = progress.add_task(label, total=total)
                progress.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

            text = csv_import.decode(raw)
            if dry_run:
                async with db.read() as conn:
                    return await csv_import.plan_import(
                        conn,
                        tenant,
                        text,
                        company_urn=settings.company_extension_urn,
                        progress=report,
                    )
            return await csv_import.apply(
                db,
                tenant,
                text,
                actor=Actor(f"cli:import-csv {Path(file).name}"[:100]),
                company_urn=settings.company_extension_urn,
                progress=report,
            )

    try:
        plan = run(go)
    except typer.Exit:
        if not dry_run:
            # Show the rejected rows, then fail: nothing was imported.
            async def preview(db: Database) -> csv_import.Plan:
                tenant = await tenants.get_tenant(db, subdomain)
                async with db.read() as conn:
                    return await csv_import.plan_import(
                        conn,
                        tenant,
                        csv_import.decode(raw),
                        company_urn=settings.company_extension_urn,
                    )

            with contextlib.suppress(typer.Exit):
                _print_rejects(run(preview))
        raise
    s = plan.summary
    _print_rejects(plan)
    verb = "would be" if dry_run else "were"
    typer.echo(
        f"{s['rows']} rows: {s['create']} {verb} created, {s['update']} {verb} updated, "
        f"{s['unchanged']} unchanged, {s['reject']} rejected"
    )
    if plan.file_error or s["reject"]:
        raise typer.Exit(1)


def _print_rejects(plan: object) -> None:
    from roster.directory.csv_import import Plan

    assert isinstance(plan, Plan)
    if plan.file_error:
        err.print(f"error: {plan.file_error}", markup=False, highlight=False)
    for header, why in plan.ignored_columns:
        err.print(f"ignored column {header!r}: {why}", markup=False, highlight=False)
    rejects = [r for r in plan.rows if r.action == "reject"]
    for r in rejects[:50]:
        err.print(
            f"line {r.line} ({r.email or 'no email'}): {r.reason}", markup=False, highlight=False
        )
    if len(rejects) > 50:
        err.print(f"... and {len(rejects) - 50} more rejected rows", markup=False, highlight=False)


@app.command()
def doctor(subdomain: str) -> None:
    """Look for the common provisioning problems in a company's data and log, with fixes."""
    from roster.directory import troubleshoot

    async def go(db: Database) -> list[troubleshoot.Finding]:
        tenant = await tenants.get_tenant(db, subdomain)
        return await troubleshoot.diagnose(db, tenant)

    findings = run(go)
    console = Console(width=110, highlight=False)
    marks = {
        "problem": "[bold red]PROBLEM[/]",
        "warning": "[bold yellow]CHECK[/]  ",
        "ok": "[green]OK[/]     ",
    }
    for f in findings:
        console.print(f"{marks[f.severity]} [bold]{escape(f.title)}[/]")
        console.print(f"        {escape(f.summary)}")
        for x in f.examples[:5]:
            console.print(
                f"        - {escape(str(x['label']))}: {escape(str(x.get('detail') or ''))}"
            )
        if f.severity != "ok":
            for step in f.fix:
                console.print(f"        fix: {escape(step)}")
    problems = sum(1 for f in findings if f.severity == "problem")
    if problems:
        raise typer.Exit(2)


# Last: the sso commands use run() and fail() above.
from roster.cli.sso import sso_app  # noqa: E402

app.add_typer(sso_app, name="sso")


def main() -> None:
    app()
