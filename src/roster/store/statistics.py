"""Planner statistics for Roster's own tables, kept by Roster (PostgreSQL).

PostgreSQL picks an index from its statistics. A table that has never been analyzed
has none, and its indexes still count the rows they had when they were created: none.
Every index that starts with `tenant_id` then looks equally cheap, and the planner
takes one that matches the company alone. A GET by id then reads every person of
the company, and an import page joins each of its hundred people against all of them
(measured on 2,000 people created over SCIM: 34 ms an import page, 1.0 ms a GET's
lookup; 1.2 ms and 0.07 ms once analyzed). Autovacuum analyzes a table after
50 + 10 % of its rows have changed, but only where it runs, and only after its next
nap: a new deployment, a first import or a Push Now all run before it.

So Roster applies autovacuum's analyze rule to its own tables itself (`stale_tables`,
`analyze`), from `roster serve` every few seconds and at once after a bulk change.
Where autovacuum keeps up, the rule finds nothing to do. ANALYZE reads a sample of at
most 30,000 rows per table (default_statistics_target 100), so it costs the same on
a million people as on fifty thousand, and it never blocks reads or writes. A
PostgreSQL user that does not own the tables gets a warning from PostgreSQL and no
statistics from Roster: autovacuum (which runs as the owner) is then the only keeper.
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

_STALE = sa.text(
    """
    SELECT s.relname
    FROM pg_stat_user_tables AS s
    JOIN pg_class AS c ON c.oid = s.relid
    JOIN pg_stat_xact_user_tables AS x ON x.relid = s.relid
    WHERE s.schemaname = current_schema()
      AND s.relname = ANY(:tables)
      AND s.n_mod_since_analyze + x.n_tup_ins + x.n_tup_upd + x.n_tup_del
          >= :threshold + :scale * greatest(c.reltuples, 0)
    ORDER BY s.relname
    """
)


async def stale_tables(conn: AsyncConnection, tables: Sequence[str] = TABLES) -> list[str]:
    """Roster's tables whose statistics autovacuum's rule says are out of date, counting
    the rows changed by committed transactions and by this one (a bulk change asks
    before it commits)."""
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
