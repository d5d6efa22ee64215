"""Planner statistics for Roster's own tables, kept by Roster (PostgreSQL).

PostgreSQL picks an index from its statistics, and every lookup leads with the company
(`tenant_id`), so every table has several indexes that start with it. Two states of
the statistics make them all look equally cheap, and the planner then may take one
that matches the company alone (a GET by id reads every person of the company; an
import page joins each of its hundred people against all of them). Measured on 2,000
people created over SCIM (docs/decisions/0011): 34 ms an import page, 1.0 ms a
person's lookup; 1.2 ms and 0.07 ms with statistics.

1. A table never analyzed: its indexes still count the rows they had when created,
   none, and every estimate is one row.
2. A company created since the last analyze: it is not among `tenant_id`'s most common
   values, and when every older company is (fewer than a hundred), it is estimated at
   no rows at all. Autovacuum does not see this: 300 new people in a table of 20,000
   are far below its threshold.

So Roster keeps its tables' statistics itself (`stale_tables`, `analyze`): from `roster
serve` every few seconds, by autovacuum's own rule (50 rows + 10 % changed since the
last analyze) and, for a table with 50 changed rows, whenever a company was created
after its last analyze. Where autovacuum keeps up, the first rule finds nothing to do.
ANALYZE reads a sample of at most 30,000 rows per table (default_statistics_target
100), so it costs the same on a million people as on fifty thousand; it never blocks
reads or writes, and it makes the server re-plan its cached statements. A PostgreSQL
user that does not own the tables gets a warning from PostgreSQL and no statistics
from Roster: autovacuum (which runs as the owner) is then the only keeper.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.logging import get_logger
from roster.store.db import Database
from roster.store.tables import metadata

log = get_logger("roster.statistics")

# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor, as PostgreSQL ships
# them: a table is stale once this many rows changed since its last analyze.
THRESHOLD = 50
SCALE = 0.1
# One keeper at a time across every server sharing the database.
_LOCK_KEY = 0x526F737465725354  # "RosterST"
TASK_NAME = "roster-statistics"

TABLES = tuple(sorted(metadata.tables))

# Changed rows: committed since the last analyze, and this transaction's own.
_STALE = sa.text(
    """
    SELECT s.relname
    FROM pg_stat_user_tables AS s
    JOIN pg_class AS c ON c.oid = s.relid
    JOIN pg_stat_xact_user_tables AS x ON x.relid = s.relid
    CROSS JOIN LATERAL (
        SELECT s.n_mod_since_analyze + x.n_tup_ins + x.n_tup_upd + x.n_tup_del AS changed,
               greatest(s.last_analyze, s.last_autoanalyze) AS analyzed_at
    ) AS t
    WHERE s.schemaname = current_schema()
      AND s.relname = ANY(:tables)
      AND (
        t.changed >= :threshold + :scale * greatest(c.reltuples, 0)
        OR (
          t.changed >= :threshold
          AND EXISTS (
            SELECT 1 FROM tenants
            WHERE tenants.created_at > coalesce(t.analyzed_at, '-infinity'::timestamptz)
          )
        )
      )
    ORDER BY s.relname
    """
)


async def stale_tables(conn: AsyncConnection, tables: Sequence[str] = TABLES) -> list[str]:
    """Roster's tables whose statistics are out of date: by autovacuum's rule, or, for
    a table with 50 changed rows, because a company was created since its last analyze
    (its rows are in no statistics yet). Changed rows count committed transactions and
    this one (a bulk change asks before it commits)."""
    if conn.dialect.name != "postgresql":
        return []
    rows = await conn.execute(
        _STALE, {"tables": list(tables), "threshold": THRESHOLD, "scale": SCALE}
    )
    return [str(r[0]) for r in rows]


async def analyze(conn: AsyncConnection, tables: Sequence[str]) -> None:
    """Fresh statistics for these tables (names from `TABLES` only)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if table not in metadata.tables:
            raise ValueError(f"not a Roster table: {table!r}")
        await conn.execute(sa.text(f'ANALYZE "{table}"'))


async def analyze_if_stale(conn: AsyncConnection, tables: Sequence[str]) -> list[str]:
    """After a bulk change, inside its transaction: the planner sees the new rows for
    the rest of the work (and every request after it) instead of the old counts."""
    stale = await stale_tables(conn, tables)
    await analyze(conn, stale)
    return stale


async def keep_statistics(db: Database) -> list[str]:
    """One pass of the keeper: the stale tables analyzed, in a transaction of its own,
    unless another server's keeper holds the lock. Returns what it analyzed."""
    if db.is_sqlite:
        return []
    async with db.engine.connect() as conn, conn.begin():
        locked = await conn.scalar(
            sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}
        )
        if not locked:
            return []
        return await analyze_if_stale(conn, TABLES)


async def keep_forever(db: Database, *, every_seconds: float) -> None:
    """Run while the app serves (PostgreSQL): a pass every few seconds. A failed pass is
    logged and tried again; it never stops serving."""
    if db.is_sqlite:
        return
    while True:
        try:
            analyzed = await keep_statistics(db)
            if analyzed:
                log.info("planner statistics refreshed", tables=analyzed)
        except Exception:
            log.exception("planner statistics pass failed")
        await asyncio.sleep(every_seconds)
