"""Secrets shown once, after a redirect: a new SCIM token (directory/tokens.py) and a
webhook's signing secret (directory/webhooks.py) share this.

The console's form that makes a secret must not answer with it: a reload would post
the form again (a second live token) and the secret would sit in the browser's
history of answers. So the form stashes the secret here, sealed, bound to the browser
session and to the thing it belongs to, and redirects with a ticket; the page the
redirect leads to takes the secret out once. The row is deleted as it is read, so a
reload, another session holding the same address, or a later visit shows nothing; a
ticket is good for REVEAL_FOR. The database keeps only the ticket's hash and the
sealed secret (sealed under the deployment's key, directory/sealing.py), so any worker
can redeem a ticket another made, and a copy of the database opens none.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from roster.directory.audit import Actor, record_change
from roster.directory.sealing import Sealer
from roster.store import reveals as store
from roster.store.db import Database
from roster.store.types import utcnow

REVEAL_FOR = timedelta(minutes=15)  # how long after it is stashed a secret can be shown
_TICKET = re.compile(r"[A-Za-z0-9_-]{32}")


def _reveal_id(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def _context(tenant_id: int, reveal_id: str, resource_type: str, resource_id: str) -> str:
    return f"reveal|{tenant_id}|{reveal_id}|{resource_type}|{resource_id}"


async def stash(
    db: Database,
    sealer: Sealer,
    tenant_id: int,
    *,
    resource_type: str,
    resource_id: str,
    secret: str,
    bound_to: str,
) -> str:
    """Keep `secret` for one showing to the browser session `bound_to`; returns the
    ticket the redirect carries (random: it says nothing of the secret)."""
    ticket = secrets.token_urlsafe(24)
    reveal_id = _reveal_id(ticket)
    now = utcnow()
    async with db.write() as conn:
        await store.drop_expired(conn, tenant_id, now)
        await store.insert_reveal(
            conn,
            tenant_id=tenant_id,
            reveal_id=reveal_id,
            session_id=bound_to,
            resource_type=resource_type,
            resource_id=resource_id,
            sealed_secret=sealer.seal(
                secret.encode(), _context(tenant_id, reveal_id, resource_type, resource_id)
            ),
            expires_at=now + REVEAL_FOR,
        )
    return ticket


async def reveal(
    db: Database,
    sealer: Sealer,
    tenant_id: int,
    *,
    resource_type: str,
    resource_id: str,
    ticket: str,
    bound_to: str,
    actor: Actor,
    shown_action: str,
) -> str | None:
    """The stashed secret, the first time its ticket is redeemed by the session it is
    bound to for the thing it belongs to, within REVEAL_FOR; None otherwise (shown
    already, too late, another session, not a ticket). Recorded as `shown_action`."""
    if not _TICKET.fullmatch(ticket):
        return None
    reveal_id = _reveal_id(ticket)
    async with db.write() as conn:
        sealed = await store.take_reveal(
            conn,
            tenant_id,
            reveal_id,
            session_id=bound_to,
            resource_type=resource_type,
            resource_id=resource_id,
            now=utcnow(),
        )
        if sealed is None:
            return None
        secret = sealer.unseal(
            sealed, _context(tenant_id, reveal_id, resource_type, resource_id)
        ).decode()
        await record_change(
            conn,
            tenant_id,
            actor,
            shown_action,
            resource_type,
            resource_id,
            changes={"ticket": reveal_id[:32]},
        )
    return secret
