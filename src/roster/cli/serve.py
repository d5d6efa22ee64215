"""`roster serve` (upgrade the schema, then serve over HTTP) and `roster db upgrade`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from roster.cli.common import _reason, fail
from roster.config import SettingError, get_settings
from roster.store import migrate
from roster.store.db import DatabaseURLError

commands = typer.Typer()  # top-level commands: the root app takes them in as they are
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@commands.command()
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
        settings.check_webhooks()  # the deliverer starts with every worker
    except SettingError as exc:
        raise fail(str(exc)) from None
    _upgrade(settings.database_url)
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


def _upgrade(database_url: str) -> None:
    """The schema brought up to date, or one line saying why it cannot be."""
    try:
        migrate.upgrade(database_url)
    except DatabaseURLError as exc:
        raise fail(f"ROSTER_DATABASE_URL: {exc}") from None
    except (OSError, OperationalError) as exc:
        raise fail(f"cannot reach the database ({_reason(exc)})") from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest version."""
    settings = get_settings()
    _upgrade(settings.database_url)
    typer.echo("database schema is up to date")
