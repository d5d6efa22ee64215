"""Alembic owns the schema: the migrations must produce exactly what tables.py says."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from roster.store.db import Database
from roster.store.tables import metadata
from tests.support.harness import LiveServer


def test_migrations_match_the_table_definitions(server: LiveServer) -> None:
    async def differences() -> list[Any]:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                    )
                )
        finally:
            await db.dispose()

    assert asyncio.run(differences()) == []
