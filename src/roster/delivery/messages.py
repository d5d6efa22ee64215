"""What a delivery sends: the body, and the Standard Webhooks headers that sign it
(https://www.standardwebhooks.com; docs/events.md shows a receiver verifying them).

The body, one JSON object:

    {
      "id":          the event's id (also the webhook-id header; stable across retries
                     and replays, so receivers dedupe on it),
      "type":        "person.created", ... (directory/events.py: TYPES),
      "company":     the company's subdomain,
      "sequence":    the event's number in its company, in commit order,
      "occurred_at": when the change committed (ISO 8601, UTC),
      "actor":       who made the change: "token:<id>", "admin:<email>", "cli", ...,
      "resource":    {"type": "User" | "Group" | "Token" | "Sso", "id": ...},
      "data":        the event's data: {"object": the resource after the change,
                     "changes": {field: {"old", "new"}}} for people and groups, plus
                     "members" for membership events (directory/events.py)
    }

The headers: `webhook-id` (the event id), `webhook-timestamp` (unix seconds of this
attempt) and `webhook-signature`: "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))
where the key is the base64-decoded part of the endpoint's secret after "whsec_".
During a rotation's grace period the old secret signs too: two signatures, separated
by a space, and a receiver accepts the message if any one verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from roster import __version__, jsontext
from roster.directory.events_feed import event_json

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
USER_AGENT = f"Roster-Webhooks/{__version__}"


def body_of(event: dict[str, Any], company: str) -> bytes:
    """The same JSON the events feed gives for the event (directory/events_feed.py)."""
    return jsontext.dumps(event_json(event, company)).encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers_for(
    secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets),
    }
