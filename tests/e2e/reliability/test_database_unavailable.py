"""When PostgreSQL cannot serve (here: the role may open no more connections, SQLSTATE
53300), Roster answers 503 with Retry-After, changes nothing, and recovers by itself."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from roster.directory import tenants, tokens
from roster.store.db import Database
from tests.support.harness import (
    OKTA_HEADERS,
    POSTGRES_URL,
    LiveServer,
    _with_database,
    settings_for,
)

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs ROSTER_TEST_POSTGRES_URL")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def limited() -> Iterator[tuple[LiveServer, str]]:
    suffix = secrets.token_hex(4)
    role, name = f"roster_limited_{suffix}", f"roster_limited_{suffix}"
    asyncio.run(_admin(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 10"))
    asyncio.run(_admin(f'CREATE DATABASE "{name}" OWNER {role}'))
    url = (
        make_url(_with_database(POSTGRES_URL, name))
        .set(username=role, password=None)
        .render_as_string(hide_password=False)
    )
    live = LiveServer("postgres", url, settings_for(url, database_pool_size=2))
    try:
        live.start()

        async def setup(db: Database) -> str:
            await tenants.create_tenant(db, "down")
            await tenants.set_scim_enabled(db, "down", True)
            return (await tokens.create_token(db, "down"))[1]

        yield live, live.call(setup)
    finally:
        live.stop()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_admin(f"DROP ROLE IF EXISTS {role}"))


def test_no_connections_gives_503_then_recovers(limited: tuple[LiveServer, str]) -> None:
    live, token = limited
    role = make_url(live.database_url).username
    with httpx.Client(
        base_url=live.scim_url, headers={**OKTA_HEADERS, "Authorization": f"Bearer {token}"}
    ) as client:
        assert client.get("/Users").status_code == 200

        async def cut(db: Database) -> None:
            # New connections are refused; the ones in the pools are closed.
            await db.dispose()

        asyncio.run(_admin(f"ALTER ROLE {role} CONNECTION LIMIT 0"))
        live.call(cut)
        body: dict[str, Any] = {"userName": "while.down@example.com"}
        r = client.post("/Users", json=body)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"].isdigit()
        assert r.json()["status"] == "503" and "nothing was changed" in r.json()["detail"]
        asyncio.run(_admin(f"ALTER ROLE {role} CONNECTION LIMIT 10"))
        assert client.post("/Users", json=body).status_code == 201
        assert client.get("/Users").json()["totalResults"] == 1
