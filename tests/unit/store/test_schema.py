"""Alembic owns the schema: the migrations must produce exactly what tables.py says."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from roster.store.db import Database
from roster.store.tables import metadata, modelled
from tests.support.harness import LiveServer


def test_migrations_match_the_table_definitions(server: LiveServer) -> None:
    async def differences() -> list[Any]:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(
                            sync, opts={"compare_type": True, "include_object": modelled}
                        ),
                        metadata,
                    )
                )
        finally:
            await db.dispose()

    assert asyncio.run(differences()) == []


def test_the_search_index_is_there(server: LiveServer) -> None:
    """Outside the model, so compare_metadata cannot see it: PostgreSQL's trigram index,
    SQLite's FTS5 table and the triggers that keep it (a migration that recreates
    `people` on SQLite would drop them; store/people_search.py)."""

    async def names() -> set[str]:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'people'"
                else:
                    sql = "SELECT name FROM sqlite_master WHERE name LIKE 'people_search%'"
                return {r[0] for r in await conn.execute(sa.text(sql))}
        finally:
            await db.dispose()

    found = asyncio.run(names())
    if server.database_url.startswith("postgresql"):
        assert "ix_people_search" in found
    else:
        assert {
            "people_search",
            "people_search_rows",
            "people_search_insert",
            "people_search_update",
            "people_search_delete",
        } <= found
