"""On SQLite, a process's writers queue for the one write lock in Roster, in order,
rather than in SQLite's busy handler: a second writer holds no connection and issues no
BEGIN IMMEDIATE while the first is open, and starts once it commits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from roster.store.db import Database


def test_writers_queue_in_order_without_holding_a_connection(tmp_path: Path) -> None:
    async def go() -> tuple[list[str], int]:
        db = Database(f"sqlite:///{tmp_path / 'w.db'}", pool_size=8)
        order: list[str] = []
        inside = asyncio.Event()
        release = asyncio.Event()
        try:
            async with db.write() as conn:
                await conn.execute(sa.text("CREATE TABLE t (who TEXT)"))

            async def first() -> None:
                async with db.write() as conn:
                    await conn.execute(sa.text("INSERT INTO t VALUES ('first')"))
                    order.append("first in")
                    inside.set()
                    await release.wait()
                order.append("first out")

            async def later(name: str) -> None:
                async with db.write() as conn:
                    order.append(f"{name} in")
                    await conn.execute(sa.text(f"INSERT INTO t VALUES ('{name}')"))

            a = asyncio.create_task(first())
            await inside.wait()
            b = asyncio.create_task(later("second"))
            c = asyncio.create_task(later("third"))
            await asyncio.sleep(0.3)  # long enough for b and c to reach SQLite, if they could
            held = db.engine.pool.checkedout()  # type: ignore[attr-defined]
            release.set()
            await asyncio.gather(a, b, c)
            return order, held
        finally:
            await db.dispose()

    order, held = asyncio.run(go())
    assert held == 1  # the first writer's; the waiting ones hold none
    assert order == ["first in", "first out", "second in", "third in"]
