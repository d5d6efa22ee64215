"""`record_change`: the one way a change is recorded, from every door (SCIM, the
console, CSV import, the CLI, SSO sign-in): an audit row of what was asked (secrets
redacted) and what changed, in the caller's transaction, so a change that commits is
recorded and one that rolls back is not. The change's events (directory/events.py) are
born here too, and written in the same transaction (store/events.py).
tests/unit/directory/test_record_change.py fails if anything else writes the audit
trail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.events import events_of
from roster.redaction import redact, redact_text
from roster.store import audit as store
from roster.store.events import add_pending


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changes."""
    return {
        k: [jsonable(before.get(k)), jsonable(v)] for k, v in after.items() if before.get(k) != v
    }


@dataclass(frozen=True)
class Actor:
    """Who asks: `token:<id>` for the IdP, `admin:<email>`, `cli`, `csv:<file>`."""

    name: str
    request_id: str | None = None

    @property
    def is_idp(self) -> bool:
        return self.name.startswith("token:")


# Roster itself, or a caller that names no one (tests, scripts).
SYSTEM = Actor("system")


async def record_change(
    conn: AsyncConnection,
    tenant_id: int,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str | None,
    *,
    request: Any = None,
    changes: Any = None,
    notes: Sequence[str] = (),
    resource: Mapping[str, Any] | None = None,
    members: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Record one change in the caller's transaction, the request's secrets redacted,
    with its events: `resource` is the person or group as it stands after the change,
    `members` the ids a membership change added and removed."""
    add_pending(
        conn,
        events_of(
            tenant_id,
            actor.name,
            action,
            resource_type,
            resource_id,
            changes=changes,
            resource=resource,
            members=members,
        ),
    )
    await store.record(
        conn,
        tenant_id,
        actor=actor.name,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        request_id=actor.request_id,
        request=redact(request) if request is not None else None,
        changes=changes,
        notes=_notes(notes),
    )


async def record_changes(
    conn: AsyncConnection,
    tenant_id: int,
    actor: Actor,
    changes: Sequence[tuple[str, str, str | None, Any, Mapping[str, Any]]],
    *,
    notes: Sequence[str] = (),
) -> None:
    """Record many changes of one command at once (a CSV import's rows): each is
    (action, resource type, resource id, what changed, the resource after it)."""
    add_pending(
        conn,
        [
            e
            for action, resource_type, resource_id, changed, resource in changes
            for e in events_of(
                tenant_id,
                actor.name,
                action,
                resource_type,
                resource_id,
                changes=changed,
                resource=resource,
                members=None,
            )
        ],
    )
    await store.record_many(
        conn,
        [
            {
                "tenant_id": tenant_id,
                "actor": actor.name[:100],
                "action": action,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "request_id": actor.request_id,
                "changes": changed,
                "notes": _notes(notes),
            }
            for action, resource_type, resource_id, changed, _ in changes
        ],
    )


def _notes(notes: Sequence[str]) -> list[str] | None:
    """Notes quote what a request sent (an attribute's name, as spelled): a token sent
    where no token belongs is removed from them as from the request."""
    return [redact_text(n) for n in notes] or None
