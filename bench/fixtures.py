"""Bulk fixtures: people written straight into Roster's tables, the rows a SCIM create
would write, fast (COPY on PostgreSQL, one executemany transaction on SQLite)."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from common import log, psql

from roster.store.ids import new_id
from roster.store.tables import people

COLUMNS = [
    "tenant_id",
    "id",
    "number",
    "user_name",
    "user_name_lower",
    "external_id",
    "given_name",
    "family_name",
    "display_name",
    "active",
    "email",
    "email_lower",
    "emails",
    "phone_numbers",
    "custom",
    "source",
    "idp_linked_at",
    "version",
    "created_at",
    "updated_at",
]
assert all(c in people.c for c in COLUMNS)


def rows(tenant_id: int, first: int, count: int, tag: str) -> list[tuple[Any, ...]]:
    """People number first+1 .. first+count of a company."""
    now = datetime.now(UTC)
    out = []
    for i in range(first, first + count):
        email = f"user{i}.{tag}@scale.example"
        out.append(
            (
                tenant_id,
                new_id(),
                i + 1,
                email,
                email,
                f"00u{tag}{i}",
                f"Given{i}",
                "Scale",
                f"Given{i} Scale",
                True,
                email,
                email,
                json.dumps([{"value": email, "primary": True, "type": "work"}]),
                "[]",
                "{}",
                "scim",
                now,
                1,
                now,
                now,
            )
        )
    return out


def tenant_id(env: dict[str, str], sub: str) -> int:
    url = env["ROSTER_DATABASE_URL"]
    sql = f"SELECT id FROM tenants WHERE subdomain = '{sub}'"
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            return int(conn.execute(sql).fetchone()[0])
    return int(psql(sql, url.rsplit("/", 1)[1]))


def bulk_load(env: dict[str, str], sub: str, count: int, *, keep: bool = False) -> dict[str, Any]:
    """`count` people into company `sub`: COPY (PostgreSQL) or executemany (SQLite).
    With `keep`, the result lists their (id, userName)."""
    url = env["ROSTER_DATABASE_URL"]
    tid = tenant_id(env, sub)
    tag = secrets.token_hex(2)
    started = time.perf_counter()
    batch = 100_000
    kept: list[tuple[str, str]] = []
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        sql = f"INSERT INTO people ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        for first in range(0, count, batch):
            chunk = rows(tid, first, min(batch, count - first), tag)
            kept.extend((r[1], r[3]) for r in chunk if keep)
            conn.executemany(
                sql,
                [(*r[:16], _sqlite_time(r[16]), r[17], *map(_sqlite_time, r[18:])) for r in chunk],
            )
        conn.execute(
            "UPDATE tenants SET last_person_number = last_person_number + ? WHERE id = ?",
            (count, tid),
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.close()
    else:
        import asyncpg

        async def copy() -> None:
            conn = await asyncpg.connect(url)
            try:
                for first in range(0, count, batch):
                    chunk = rows(tid, first, min(batch, count - first), tag)
                    kept.extend((r[1], r[3]) for r in chunk if keep)
                    await conn.copy_records_to_table("people", records=chunk, columns=COLUMNS)
                await conn.execute(
                    "UPDATE tenants SET last_person_number = last_person_number + $1 WHERE id = $2",
                    count,
                    tid,
                )
                await conn.execute("ANALYZE people")
            finally:
                await conn.close()

        asyncio.run(copy())
    seconds = time.perf_counter() - started
    log(f"  loaded {count:,} people in {seconds:.1f} s ({count / seconds:,.0f} rows/s)")
    out = {"people": count, "seconds": seconds, "rows_per_s": count / seconds, "tag": tag}
    if keep:
        out["users"] = kept
    return out


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's SQLite DateTime format, naive UTC
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")
