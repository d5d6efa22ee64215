"""What every `roster` command shares: `run` (one directory action against the configured
database, its errors as one line), `fail`, and the actor the CLI writes as. Imports no
other roster.cli module."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError

from roster.config import get_settings
from roster.directory.people import Actor
from roster.model.errors import DirectoryError
from roster.store import migrate
from roster.store.db import Database, DatabaseURLError
from roster.store.tenants import TokenRecord

T = TypeVar("T")

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


def run(
    action: Callable[[Database], Awaitable[T]], *, upgrade: bool = True, pool_size: int = 2
) -> T:
    """Run one directory action against the configured database, schema upgraded first."""
    settings = get_settings()

    async def go() -> T:
        database = Database(settings.database_url, pool_size=pool_size)
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


def print_tokens(records: Sequence[TokenRecord]) -> None:
    """A company's tokens (SCIM or API) as a table: never their secrets."""
    table = Table("id", "label", "fingerprint", "created", "last used", "status")
    for r in records:
        table.add_row(
            r.id,
            r.label,
            r.fingerprint,
            r.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            r.last_used_at.strftime("%Y-%m-%d %H:%M:%SZ") if r.last_used_at else "never",
            "revoked" if r.revoked_at else "active",
        )
    Console(width=200).print(table)
