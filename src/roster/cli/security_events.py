"""`roster events set-receiver ...`: a company's SET receivers (add, list, remove,
replay, deliveries), where its events go as Security Event Tokens (RFC 9967, pushed per
RFC 8935); and `roster events signing-key ...`: the deployment's keys that sign them
(list, rotate). Wired under `roster events` by roster.cli."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from roster.cli.common import CLI, err, fail, run
from roster.config import SettingError, Settings, get_settings
from roster.directory import set_receivers, signing_keys
from roster.directory.sealing import Sealer
from roster.directory.set_receivers import NewReceiver
from roster.model.security_events import SET_TYPES

set_receiver_app = typer.Typer(
    help="A company's SET receivers (Security Event Tokens, RFC 9967).", no_args_is_help=True
)
signing_key_app = typer.Typer(
    help="The keys that sign Security Event Tokens (one set per deployment).",
    no_args_is_help=True,
)
JWKS_PATH = "/.well-known/jwks.json"


def _settings() -> Settings:
    settings = get_settings()
    try:
        settings.check_webhooks()
    except SettingError as exc:
        raise fail(str(exc)) from None
    return settings


def _sealer(settings: Settings) -> Sealer:
    try:
        return Sealer.for_settings(settings)
    except (ValueError, OSError) as exc:
        raise fail(f"cannot read the secret key: {exc}") from None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


@set_receiver_app.command("add")
def set_receiver_add(
    subdomain: str,
    url: str,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            help="A SET event URI (urn:ietf:params:scim:event:prov:...) or a Roster event "
            "type the receiver takes (repeat it); none: every one.",
        ),
    ] = None,
    audience: Annotated[
        str | None, typer.Option(help="The SETs' aud claim; default: the URL.")
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(help="The SETs' iss claim; default: ROSTER_PUBLIC_URL/companies/SUBDOMAIN."),
    ] = None,
    authorization_header: Annotated[
        str | None,
        typer.Option(
            "--authorization-header",
            help="The Authorization header the receiver wants, e.g. 'Bearer abc'; '-' reads "
            "it from stdin. Kept sealed, never shown again.",
        ),
    ] = None,
) -> None:
    """Add a SET receiver; prints its id alone on stdout."""
    settings = _settings()
    header = authorization_header
    if header == "-":
        header = sys.stdin.readline().strip()
    new = NewReceiver(url, event or (), audience, issuer, header)
    sealer = _sealer(settings)
    receiver = run(
        lambda db: set_receivers.add_receiver(
            db,
            subdomain,
            new,
            public_url=settings.public_url,
            allow_private=settings.webhook_allow_private,
            sealer=sealer,
            actor=CLI,
        )
    )
    err.print(
        f"SET receiver added for {subdomain}: {receiver.url}; iss {receiver.issuer}, aud "
        f"{receiver.audience}; verify with the JWKS at {JWKS_PATH}",
        markup=False,
        highlight=False,
    )
    sys.stdout.write(f"{receiver.id}\n")


@set_receiver_app.command("list")
def set_receiver_list(subdomain: str) -> None:
    """A company's SET receivers: iss, aud, events, deliveries pending and dead, the last
    attempt's result (never the Authorization header)."""
    summaries = run(lambda db: set_receivers.list_receivers(db, subdomain))
    table = Table("id", "url", "iss", "aud", "events", "auth", "pending", "dead", "last attempt")
    for s in summaries:
        r = s.receiver
        types = r.event_types or ()
        last = (
            str(s.last_status)
            if s.last_status is not None and s.last_error is None
            else (s.last_error or "-")
        )
        table.add_row(
            r.id,
            r.url,
            r.issuer,
            r.audience,
            "all" if set(types) >= set(SET_TYPES) else ", ".join(types),
            "yes" if r.has_authorization else "no",
            str(s.pending),
            str(s.dead),
            last,
        )
    Console(width=300).print(table)


@set_receiver_app.command("remove")
def set_receiver_remove(subdomain: str, receiver_id: str) -> None:
    """Remove a receiver: nothing more is sent to it; its pending deliveries become dead."""
    dropped = run(lambda db: set_receivers.remove_receiver(db, subdomain, receiver_id, actor=CLI))
    typer.echo(f"removed SET receiver {receiver_id} ({dropped} pending deliveries dropped)")


@set_receiver_app.command("replay")
def set_receiver_replay(
    subdomain: str,
    receiver_id: str,
    from_seq: Annotated[
        int | None, typer.Option("--from-seq", help="Send again from this event number on.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Send again the events from this time on.")
    ] = None,
) -> None:
    """Send a receiver's events again (the same jti) from an event number or a time."""
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            example = "e.g. 2026-12-01T09:00Z"
            raise fail(f"--since {since!r}: give an ISO 8601 time, {example}") from None
    queued = run(
        lambda db: set_receivers.replay(
            db, subdomain, receiver_id, from_seq=from_seq, since=start, actor=CLI
        )
    )
    typer.echo(f"queued {queued} deliveries to {receiver_id} again")


@set_receiver_app.command("deliveries")
def set_receiver_deliveries(
    subdomain: str,
    receiver_id: str,
    status: Annotated[
        str | None, typer.Option(help="Only these: pending, delivered or dead.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """A receiver's deliveries, newest event first: status, attempts, last result."""
    rows = run(
        lambda db: set_receivers.deliveries(db, subdomain, receiver_id, status=status, limit=limit)
    )
    table = Table("seq", "jti", "type", "status", "attempts", "last", "next / delivered")
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


@signing_key_app.command("list")
def signing_key_list() -> None:
    """Every signing key, newest first: kid, what it does now (signing, next, published
    in its grace, retired), when it signs from and retires."""
    keys = run(signing_keys.list_keys)
    table = Table("kid", "generation", "state", "created", "signs from", "retires")
    for k in keys:
        table.add_row(
            k.kid,
            str(k.generation),
            k.state,
            _when(k.created_at),
            _when(k.signs_from),
            _when(k.retires_at),
        )
    Console(width=200).print(table)


@signing_key_app.command("rotate")
def signing_key_rotate(
    publish_ahead: Annotated[
        float,
        typer.Option(
            help="Seconds the new key is in the JWKS before it signs (receivers' caches "
            "catch up); 0: it signs at once.",
        ),
    ] = signing_keys.PUBLISH_AHEAD.total_seconds(),
    grace_hours: Annotated[
        float,
        typer.Option(
            help="Hours the older keys stay in the JWKS once the new one signs; 0: they "
            "leave it then (a compromised key).",
        ),
    ] = signing_keys.GRACE.total_seconds() / 3600,
) -> None:
    """A new signing key for every company's SETs; prints its kid alone on stdout."""
    sealer = _sealer(get_settings())
    key, retire_at = run(
        lambda db: signing_keys.rotate(
            db,
            sealer,
            publish_ahead=timedelta(seconds=publish_ahead),
            grace=timedelta(hours=grace_hours),
        )
    )
    err.print(
        f"new SET signing key {key.kid}: published now, signs from {_when(key.signs_from)}; "
        f"the older keys leave the JWKS at {_when(retire_at)}",
        markup=False,
        highlight=False,
    )
    sys.stdout.write(f"{key.kid}\n")
