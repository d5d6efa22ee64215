"""`record_change`: the one way a change is recorded, from every door (SCIM, the
console, CSV import, the CLI, SSO sign-in): an audit row of what was asked (secrets
redacted) and what changed, in the caller's transaction, so a change that commits is
recorded and one that rolls back is not. The event outbox will be written here too.
tests/test_record_change.py fails if anything else writes the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.redaction import redact
from roster.store import audit as store


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
) -> None:
    """Record one change in the caller's transaction, the request's secrets redacted."""
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
        notes=list(notes) or None,
    )


async def record_changes(
    conn: AsyncConnection,
    tenant_id: int,
    actor: Actor,
    changes: Sequence[tuple[str, str, str | None, Any]],
    *,
    notes: Sequence[str] = (),
) -> None:
    """Record many changes of one command at once (a CSV import's rows): each is
    (action, resource type, resource id, what changed)."""
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
                "notes": list(notes) or None,
            }
            for action, resource_type, resource_id, changed in changes
        ],
    )
