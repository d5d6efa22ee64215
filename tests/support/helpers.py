"""Shared test helpers: bulk people, query counting, the `roster` command against a
live server's database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from roster.directory.provisioning_log import WRITER_TASK_NAME
from roster.store import person_values
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.statistics import TASK_NAME as STATISTICS_TASK_NAME
from roster.store.tables import people
from roster.store.types import utcnow
from tests.support.harness import WEBHOOK_ENV, Company, LiveServer


def bulk_people(company: Company, count: int, prefix: str = "p") -> list[str]:
    """Insert `count` people in one transaction (test setup, not the path under test)."""

    async def insert(db: Database) -> list[str]:
        ids = [new_id() for _ in range(count)]
        now = utcnow()
        async with db.write() as conn:
            first = await tenant_store.allocate_person_numbers(conn, company.tenant.id, count)
            rows: list[dict[str, Any]] = []
            for i, pid in enumerate(ids):
                email = f"{prefix}{i}@example.com"
                rows.append(
                    {
                        "tenant_id": company.tenant.id,
                        "id": pid,
                        "number": first + i,
                        "user_name": email,
                        "user_name_lower": email,
                        "email": email,
                        "email_lower": email,
                        "emails": [{"value": email, "primary": True}],
                        "phone_numbers": [],
                        "custom": {},
                        "active": True,
                        "source": "scim",
                        "given_name": f"Given{i}",
                        "family_name": f"Family{i}",
                        "idp_linked_at": now,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            for start in range(0, len(rows), 2000):
                await conn.execute(sa.insert(people), rows[start : start + 2000])
                await person_values.insert_rows(
                    conn,
                    [
                        v
                        for row in rows[start : start + 2000]
                        for v in person_values.rows_for(company.tenant.id, row)
                    ],
                )
        return ids

    return company.call(insert)


# A token's last-used stamp is written at most once a minute: not the measured operation's.
BOOKKEEPING = ("UPDATE scim_tokens",)


@contextmanager
def recorded_statements(company: Company) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the server runs inside the block, with its parameters as the
    driver gets them; bookkeeping and background tasks aside."""
    db = company.server.db
    assert db is not None
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name() in (WRITER_TASK_NAME, STATISTICS_TASK_NAME):
            return  # the provisioning log's batched writes, the statistics keeper's passes
        if not any(marker in statement for marker in BOOKKEEPING):
            statements.append((statement, parameters))

    engines = [db.engine.sync_engine, db.read_engine.sync_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@contextmanager
def count_queries(company: Company) -> Iterator[list[str]]:
    """Every SQL statement the server runs inside the block, bookkeeping aside."""
    texts: list[str] = []
    with recorded_statements(company) as recorded:
        yield texts
        texts.extend(sql for sql, _ in recorded)


def roster_cli(
    server: LiveServer, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m roster ARGS` on the live server's database, as an operator runs it (the
    webhook settings the server has, unless `env` says otherwise)."""
    env = {
        **os.environ,
        **WEBHOOK_ENV,
        "ROSTER_DATABASE_URL": server.database_url,
        "ROSTER_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "roster", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
