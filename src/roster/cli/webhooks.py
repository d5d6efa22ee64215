"""`roster webhook ...`: a company's webhook endpoints (add, list, remove, rotate-secret,
replay, deliveries), and `roster events deliver`, the deliverer on its own (for
deployments that run it apart from `roster serve`, with ROSTER_DELIVERY=off there).
A secret is printed once, alone on the last line of stdout, so a script can take it
with `tail -n 1`."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from roster.cli.common import CLI, err, fail, run
from roster.config import SettingError, Settings, get_settings
from roster.delivery.deliverer import Deliverer, Stats
from roster.directory import webhooks
from roster.store.db import Database

webhook_app = typer.Typer(help="A company's webhook endpoints.", no_args_is_help=True)
events_app = typer.Typer(help="A company's events going out.", no_args_is_help=True)


def _settings() -> Settings:
    settings = get_settings()
    try:
        settings.check_webhooks()
    except SettingError as exc:
        raise fail(str(exc)) from None
    return settings


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


@webhook_app.command("add")
def webhook_add(
    subdomain: str,
    url: str,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event", help="An event type the endpoint takes (repeat it); none: every type."
        ),
    ] = None,
) -> None:
    """Add an endpoint; prints its id, then its signing secret (shown once) alone on
    the last line."""
    allow_private = _settings().webhook_allow_private
    endpoint, secret = run(
        lambda db: webhooks.add_endpoint(
            db, subdomain, url, event or (), allow_private=allow_private, actor=CLI
        )
    )
    types = ", ".join(endpoint.event_types) if endpoint.event_types else "every type"
    err.print(
        f"webhook endpoint added for {subdomain}: {endpoint.url} ({types}); its signing "
        "secret is on the last line and is not shown again",
        markup=False,
        highlight=False,
    )
    sys.stdout.write(f"{endpoint.id}\n{secret}\n")


@webhook_app.command("list")
def webhook_list(subdomain: str) -> None:
    """A company's endpoints: types, deliveries pending and dead, the last attempt's
    result (never the secrets)."""
    summaries = run(lambda db: webhooks.list_endpoints(db, subdomain))
    table = Table("id", "url", "events", "pending", "dead", "last attempt", "old secret until")
    for s in summaries:
        e = s.endpoint
        last = (
            str(s.last_status)
            if s.last_status is not None and s.last_error is None
            else (s.last_error or "-")
        )
        table.add_row(
            e.id,
            e.url,
            ", ".join(e.event_types) if e.event_types else "all",
            str(s.pending),
            str(s.dead),
            last,
            _when(e.previous_secret_until),
        )
    Console(width=250).print(table)


@webhook_app.command("remove")
def webhook_remove(subdomain: str, endpoint_id: str) -> None:
    """Remove an endpoint: nothing more is sent to it; its pending deliveries become
    dead (listed by `roster webhook deliveries --status dead`)."""
    dropped = run(lambda db: webhooks.remove_endpoint(db, subdomain, endpoint_id, actor=CLI))
    typer.echo(f"removed webhook endpoint {endpoint_id} ({dropped} pending deliveries dropped)")


@webhook_app.command("rotate-secret")
def webhook_rotate_secret(subdomain: str, endpoint_id: str) -> None:
    """A new signing secret, alone on the last line (shown once); the old one keeps
    signing beside it for 24 hours."""
    secret, until = run(lambda db: webhooks.rotate_secret(db, subdomain, endpoint_id, actor=CLI))
    err.print(
        f"new signing secret for {endpoint_id} on the last line; the previous one also "
        f"signs until {_when(until)}",
        markup=False,
        highlight=False,
    )
    sys.stdout.write(secret + "\n")


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--since {value!r}: give an ISO 8601 time, e.g. 2026-12-01T09:00:00Z") from None


@webhook_app.command("replay")
def webhook_replay(
    subdomain: str,
    endpoint_id: str,
    from_seq: Annotated[
        int | None, typer.Option("--from-seq", help="Send again from this event number on.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Send again the events from this time on.")
    ] = None,
) -> None:
    """Send an endpoint's events again (same event ids) from an event number or a time."""
    start = _since(since)
    queued = run(
        lambda db: webhooks.replay(
            db, subdomain, endpoint_id, from_seq=from_seq, since=start, actor=CLI
        )
    )
    typer.echo(f"queued {queued} deliveries to {endpoint_id} again")


@webhook_app.command("deliveries")
def webhook_deliveries(
    subdomain: str,
    endpoint_id: str,
    status: Annotated[
        str | None, typer.Option(help="Only these: pending, delivered or dead.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """An endpoint's deliveries, newest event first: status, attempts, last result."""
    rows = run(
        lambda db: webhooks.deliveries(db, subdomain, endpoint_id, status=status, limit=limit)
    )
    table = Table("seq", "event id", "type", "status", "attempts", "last", "next / delivered")
    for r in rows:
        table.add_row(
            str(r.event_seq),
            r.event_id,
            r.event_type or "(no longer kept)",
            r.status,
            str(r.attempts),
            r.last_error or (str(r.last_status) if r.last_status is not None else "-"),
            _when(r.delivered_at if r.status == "delivered" else r.next_attempt_at),
        )
    Console(width=250).print(table)


@events_app.command("deliver")
def events_deliver() -> None:
    """Deliver webhooks until SIGTERM or Ctrl-C (the same deliverer `roster serve` runs
    unless ROSTER_DELIVERY=off); attempts under way finish or are given back."""
    settings = _settings()

    async def deliver(db: Database) -> Stats:
        deliverer = Deliverer(db, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        deliverer.start()
        err.print("delivering webhooks (SIGTERM or Ctrl-C stops)", highlight=False)
        await stop.wait()
        await deliverer.stop()
        return deliverer.stats

    stats = run(deliver, pool_size=4)
    err.print(f"stopped: {stats}", highlight=False)
