"""`roster import-csv`: people imported from a CSV file (all rows or none), with a
progress bar and the rejected rows on stderr."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer
from rich.console import Console

from roster.cli.common import err, fail, run
from roster.config import get_settings
from roster.directory import tenants
from roster.directory.people import Actor
from roster.store.db import Database

commands = typer.Typer()  # top-level commands: the root app takes them in as they are


@commands.command("import-csv")
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

    from roster.directory import csv_import, csv_plan

    try:
        raw = Path(file).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None
    settings = get_settings()
    out = Console(stderr=True)

    async def go(db: Database) -> csv_plan.Plan:
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

            text = csv_plan.decode(raw)
            if dry_run:
                async with db.read() as conn:
                    return await csv_plan.plan_import(
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
            async def preview(db: Database) -> csv_plan.Plan:
                tenant = await tenants.get_tenant(db, subdomain)
                async with db.read() as conn:
                    return await csv_plan.plan_import(
                        conn,
                        tenant,
                        csv_plan.decode(raw),
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
    from roster.directory.csv_plan import Plan

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
