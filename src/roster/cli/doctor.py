"""`roster doctor`: the common provisioning problems in a company's data and log, with
fixes; exit code 2 when there is a problem."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from roster.cli.common import run
from roster.directory import tenants
from roster.store.db import Database

commands = typer.Typer()  # top-level commands: the root app takes them in as they are


@commands.command()
def doctor(subdomain: str) -> None:
    """Look for the common provisioning problems in a company's data and log, with fixes."""
    from roster.directory import troubleshoot
    from roster.directory.troubleshoot_findings import Finding

    async def go(db: Database) -> list[Finding]:
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
