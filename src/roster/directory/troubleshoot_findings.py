"""What a troubleshooting check reports (a Finding: the symptom as an admin would search
for it, how bad, what was found, examples and the fix), and the samples the checks draw:
the company's live people matching some conditions, and its provisioning log's recent
entries (the last 30 days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store import provisioning_log as log_store
from roster.store.tables import people, provisioning_log
from roster.store.types import utcnow

Severity = Literal["problem", "warning", "ok"]
RECENT = timedelta(days=30)
SAMPLES = 10


@dataclass
class Finding:
    key: str
    title: str  # the symptom, as an admin would search for it
    severity: Severity
    summary: str
    fix: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)  # {label, detail, href}
    count: int = 0
    link: str | None = None  # where the console lists them


def person_label(p: dict[str, Any]) -> str:
    full = " ".join(x for x in (p.get("given_name"), p.get("family_name")) if x)
    return f"{full} <{p['email']}>" if full and p.get("email") else str(p.get("user_name"))


async def people_sample(
    conn: AsyncConnection, tenant_id: int, *conditions: Any, limit: int = SAMPLES
) -> tuple[int, list[dict[str, Any]]]:
    where = [people.c.tenant_id == tenant_id, people.c.deleted_at.is_(None), *conditions]
    total = int(
        (
            await conn.execute(sa.select(sa.func.count()).select_from(people).where(*where))
        ).scalar_one()
    )
    rows = await conn.execute(
        sa.select(
            people.c.id,
            people.c.user_name,
            people.c.email,
            people.c.given_name,
            people.c.family_name,
            people.c.manager_pending,
            people.c.source,
            people.c.location,
        )
        .where(*where)
        .order_by(people.c.user_name_lower)
        .limit(limit)
    )
    return total, [dict(r._mapping) for r in rows]


async def recent_log(
    conn: AsyncConnection, tenant_id: int, *conditions: Any, limit: int = 200
) -> list[dict[str, Any]]:
    since = log_store.id_floor(utcnow() - RECENT)
    rows = await conn.execute(
        sa.select(provisioning_log)
        .where(
            provisioning_log.c.tenant_id == tenant_id, provisioning_log.c.id >= since, *conditions
        )
        .order_by(provisioning_log.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
