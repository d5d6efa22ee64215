"""Showing a new secret once, after a redirect (POST, redirect, GET): the POST hands
the browser a ticket bound to its session, and the GET redeems it. Webhook secrets
(directory/webhooks.py) and admins' set-password links (directory/admin_links.py) are
shown this way; each keeps its own record that a ticket was redeemed."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

from roster.store.types import utcnow

REVEAL_FOR = timedelta(minutes=15)  # how long after it is made a secret can be shown
_TICKET = re.compile(r"([0-9]{1,12})\.([0-9a-f]{64})")


def reveal_ticket(resource_id: str, secret: str, bound_to: str, issued: int | None = None) -> str:
    """What lets the holder of the browser session `bound_to` see `secret` once, for
    REVEAL_FOR: `<unix time>.<HMAC-SHA256 keyed by the secret>`. Only Roster and whoever
    was just given the secret can make one; it says nothing of the secret."""
    when = int(utcnow().timestamp()) if issued is None else issued
    message = f"{bound_to}|{resource_id}|{when}".encode()
    return f"{when}.{hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()}"


def ticket_issued(ticket: str) -> datetime | None:
    """When a well-formed ticket still within REVEAL_FOR was made; None otherwise."""
    parsed = _TICKET.fullmatch(ticket)
    if parsed is None:
        return None
    made = datetime.fromtimestamp(int(parsed.group(1)), UTC)
    return made if timedelta(minutes=-1) <= utcnow() - made <= REVEAL_FOR else None


def ticket_matches(ticket: str, resource_id: str, secret: str, bound_to: str) -> bool:
    made = ticket_issued(ticket)
    if made is None:
        return False
    expected = reveal_ticket(resource_id, secret, bound_to, int(made.timestamp()))
    return hmac.compare_digest(expected, ticket)
