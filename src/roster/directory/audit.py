"""What goes into an audit row: the request with secrets removed, and the changes."""

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


async def record(
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
    """An audit row in the caller's transaction, the request's secrets redacted."""
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
