"""SET receivers: where a company's events are pushed as Security Event Tokens (RFC 8417
in the SCIM profile of RFC 9967, per RFC 8935). The commands an admin runs (`roster
events set-receiver ...`): add, list, remove, replay, read the deliveries. Each change
is recorded (`record_change`) in its own transaction; the deliverer (roster.delivery)
sends, on the same schedule and with the same guarantees as webhooks.

Decisions a receiver's engineer sees (docs/events.md, decision 0010):
- The URL rules are the webhooks' (directory/webhook_urls.py), checked again before
  every delivery.
- `iss` names the company: ROSTER_PUBLIC_URL + "/companies/" + subdomain unless the
  admin gives one, kept with the receiver (a later change of ROSTER_PUBLIC_URL does
  not change what its receivers verify). Per company, so that a receiver of company A
  refuses a SET of company B even when B's admin registers A's URL.
- `aud` is the receiver's URL unless the admin gives one.
- An Authorization header the receiver wants (RFC 8935 §3) is kept sealed
  (directory/sealing.py), never shown again nor logged, and forgotten on removal.
- A new receiver hears the events after it was added; `replay` sends earlier ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.audit import SYSTEM, Actor, jsonable, record_change
from roster.directory.sealing import Sealer
from roster.directory.tenants import get_tenant
from roster.directory.webhook_urls import allowed_addresses, check_url
from roster.model.errors import DirectoryError, invalid, not_found
from roster.model.security_events import EVENT_URIS, SET_TYPES, types_for
from roster.store import set_receivers as store
from roster.store.db import Database
from roster.store.events import last_number
from roster.store.ids import new_id
from roster.store.set_receivers import Receiver, ReceiverSummary
from roster.store.tenants import Tenant
from roster.store.webhooks import STATUSES, Delivery, first_seq_since

MAX_RECEIVERS = 20  # per company, as webhook endpoints
MAX_CLAIM_LENGTH = 2000  # set_receivers.audience, .issuer
MAX_AUTHORIZATION_LENGTH = 4000
RESOURCE = "SetReceiver"


def authorization_context(receiver_id: str) -> str:
    """What a receiver's sealed Authorization header is bound to (delivery/set_push.py
    opens it with the same)."""
    return f"set-receiver-authorization:{receiver_id}"


@dataclass(frozen=True)
class NewReceiver:
    url: str
    event_names: Sequence[str] = ()  # SET event URIs or Roster types; none: every one
    audience: str | None = None
    issuer: str | None = None
    authorization: str | None = None  # the whole header value, "Bearer ..."


def check_types(names: Sequence[str]) -> tuple[str, ...]:
    try:
        types = types_for(tuple(names))
    except ValueError as exc:
        raise invalid(
            f"unknown event {exc.args[0]!r}: use a SET event URI ({', '.join(EVENT_URIS)}) "
            f"or one of Roster's types told as one ({', '.join(SET_TYPES)})",
            "event_types",
        ) from None
    return types or SET_TYPES


def _claim_value(value: str, what: str) -> str:
    """A StringOrURI (RFC 7519 §2) a receiver will compare: printable, no spaces."""
    if not value or len(value) > MAX_CLAIM_LENGTH or not value.isprintable() or " " in value:
        raise invalid(
            f"{what} must be 1 to {MAX_CLAIM_LENGTH} printable characters without spaces",
            what.lstrip("-"),
        )
    return value


def issuer_for(subdomain: str, public_url: str) -> str:
    if not public_url:
        raise invalid(
            "the SETs need an issuer: set ROSTER_PUBLIC_URL (the URL receivers know Roster "
            "by, e.g. https://roster.example.com) or give --issuer",
            "issuer",
        )
    return f"{public_url.rstrip('/')}/companies/{subdomain}"


def _authorization(value: str) -> str:
    if not value or len(value) > MAX_AUTHORIZATION_LENGTH:
        raise invalid(f"--authorization-header must be 1 to {MAX_AUTHORIZATION_LENGTH} characters")
    if not value.isascii() or not value.isprintable():
        raise invalid("--authorization-header must be printable ASCII on one line")
    return value


async def add_receiver(
    db: Database,
    subdomain: str,
    new: NewReceiver,
    *,
    public_url: str,
    allow_private: bool,
    sealer: Sealer,
    actor: Actor = SYSTEM,
) -> Receiver:
    tenant = await get_tenant(db, subdomain)
    target = check_url(new.url)
    await allowed_addresses(target, allow_private=allow_private)
    types = check_types(new.event_names)
    audience = _claim_value(new.audience or target.url, "--audience")
    issuer = _claim_value(new.issuer or issuer_for(subdomain, public_url), "--issuer")
    receiver_id = new_id()
    sealed = None
    if new.authorization is not None:
        header = _authorization(new.authorization)
        sealed = sealer.seal(header.encode(), authorization_context(receiver_id))
    async with db.write() as conn:
        if len(await store.list_receivers(conn, tenant.id)) >= MAX_RECEIVERS:
            raise DirectoryError(
                "conflict",
                f"{subdomain!r} has {MAX_RECEIVERS} SET receivers already: remove one first "
                "(`roster events set-receiver remove`)",
            )
        await store.insert_receiver(
            conn,
            tenant_id=tenant.id,
            receiver_id=receiver_id,
            url=target.url,
            audience=audience,
            issuer=issuer,
            authorization=sealed,
            event_types=types,
            cursor_seq=await last_number(conn, tenant.id),  # from the next event on
        )
        described = {
            "url": target.url,
            "audience": audience,
            "issuer": issuer,
            "event_types": list(types),
            "authorization": sealed is not None,
        }
        await record_change(
            conn,
            tenant.id,
            actor,
            "set_receiver.add",
            RESOURCE,
            receiver_id,
            request={**described, "events": list(new.event_names)},
            changes=described,
        )
        receiver = await store.get_receiver(conn, tenant.id, receiver_id)
    assert receiver is not None
    return receiver


async def configured(db: Database, tenant: Tenant) -> bool:
    """Whether the company has a SET receiver: its ServiceProviderConfig then advertises
    securityEvents (RFC 9967 §4: absent means "not currently configured")."""
    async with db.read() as conn:
        return await store.has_live_receiver(conn, tenant.id)


async def list_receivers(db: Database, subdomain: str) -> list[ReceiverSummary]:
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        return await store.list_receivers(conn, tenant.id)


def _missing(subdomain: str, receiver_id: str) -> DirectoryError:
    return not_found(
        f"no SET receiver {receiver_id!r} in {subdomain!r} "
        f"(`roster events set-receiver list {subdomain}` shows them)"
    )


async def _live(conn: AsyncConnection, tenant: Tenant, receiver_id: str) -> Receiver:
    receiver = await store.get_receiver(conn, tenant.id, receiver_id, lock=True)
    if receiver is None or receiver.removed_at is not None:
        raise _missing(tenant.subdomain, receiver_id)
    return receiver


async def remove_receiver(
    db: Database, subdomain: str, receiver_id: str, *, actor: Actor = SYSTEM
) -> int:
    """Returns how many pending deliveries were dropped (marked dead)."""
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        await _live(conn, tenant, receiver_id)
        dropped = await store.remove_receiver(conn, tenant.id, receiver_id)
        await record_change(
            conn,
            tenant.id,
            actor,
            "set_receiver.remove",
            RESOURCE,
            receiver_id,
            changes={"removed": True, "pending_dropped": dropped},
        )
    return dropped


async def replay(
    db: Database,
    subdomain: str,
    receiver_id: str,
    *,
    from_seq: int | None = None,
    since: datetime | None = None,
    actor: Actor = SYSTEM,
) -> int:
    """Sends the receiver's events again from number `from_seq` on, or from the first
    at or after `since` (the same jti); returns how many were queued."""
    if (from_seq is None) == (since is None):
        raise invalid("give where the replay starts: --from-seq N or --since ISO-TIME")
    if from_seq is not None and from_seq < 1:
        raise invalid(f"--from-seq {from_seq}: event numbers start at 1")
    if since is not None and since.tzinfo is None:
        raise invalid(f"--since {since.isoformat()}: give a time zone, e.g. 2026-12-01T09:00Z")
    tenant = await get_tenant(db, subdomain)
    async with db.write() as conn:
        receiver = await _live(conn, tenant, receiver_id)
        start = from_seq if since is None else await first_seq_since(conn, tenant.id, since)
        queued = 0 if start is None else await store.requeue(conn, receiver, after=start - 1)
        await record_change(
            conn,
            tenant.id,
            actor,
            "set_receiver.replay",
            RESOURCE,
            receiver_id,
            request={"from_seq": from_seq, "since": jsonable(since)},
            changes={"from_seq": start, "queued": queued},
        )
    return queued


async def deliveries(
    db: Database, subdomain: str, receiver_id: str, *, status: str | None = None, limit: int = 50
) -> list[Delivery]:
    if status is not None and status not in STATUSES:
        raise invalid(f"--status {status}: use one of {', '.join(STATUSES)}", "status")
    if not 1 <= limit <= 10_000:
        raise invalid(f"--limit {limit}: give a number from 1 to 10000", "limit")
    tenant = await get_tenant(db, subdomain)
    async with db.read() as conn:
        if await store.get_receiver(conn, tenant.id, receiver_id) is None:
            raise _missing(subdomain, receiver_id)
        return await store.list_deliveries(conn, tenant.id, receiver_id, status=status, limit=limit)
