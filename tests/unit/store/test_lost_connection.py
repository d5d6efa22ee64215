"""A write whose PostgreSQL connection dies mid-transaction fails with the driver's
disconnect error, which every door answers with 503 + Retry-After, and the next write
gets a new connection. Found under load: ending the failed transaction read the dead
connection's `.info` (for its queued events), which made SQLAlchemy reconnect outside
its greenlet, and the request was a 500 (MissingGreenlet) instead of a 503."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from roster.store.db import Database
from roster.store.events import NewEvent, add_pending
from roster.store.prepared import Prepared
from tests.support.harness import POSTGRES_URL

_ONE = Prepared(sa.select(sa.literal(1, sa.Integer).label("one")))


@pytest.mark.skipif(not POSTGRES_URL, reason="needs ROSTER_TEST_POSTGRES_URL")
def test_a_connection_lost_mid_write_is_a_disconnect_not_a_missing_greenlet() -> None:
    async def go() -> tuple[BaseException | None, int | None]:
        db = Database(POSTGRES_URL, pool_size=2)
        caught: BaseException | None = None
        try:
            try:
                async with db.write() as conn:
                    pid = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar()
                    event = NewEvent(
                        1, "e1", "person.updated", datetime.now(UTC), "t", "Person", None, {}
                    )
                    add_pending(conn, [event])
                    killer = await asyncpg.connect(POSTGRES_URL)
                    try:
                        await killer.execute("SELECT pg_terminate_backend($1)", pid)
                    finally:
                        await killer.close()
                    await asyncio.sleep(0.1)
                    await _ONE.first(conn)  # the asyncpg fast path (store/prepared.py)
            except BaseException as error:
                caught = error
            async with db.write() as conn:
                after = await _ONE.first(conn)
            return caught, after["one"] if after else None
        finally:
            await db.engine.dispose()
            await db.read_engine.dispose()

    caught, after = asyncio.run(go())
    assert isinstance(caught, DBAPIError), repr(caught)
    assert caught.connection_invalidated
    assert after == 1
