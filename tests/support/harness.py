"""Test harness: Roster served by a real uvicorn server over real sockets, on SQLite and
(when ROSTER_TEST_POSTGRES_URL is set) PostgreSQL. Each test gets its own company, so
tests share one server per database without seeing each other's data."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from roster.app import create_app
from roster.config import Settings
from roster.directory import tenants, tokens
from roster.store import migrate
from roster.store.db import Database
from roster.store.tenants import Tenant

T = TypeVar("T")
POSTGRES_URL = os.environ.get("ROSTER_TEST_POSTGRES_URL", "")


def require(condition: object, why: str) -> None:
    """A test needs something this machine may lack (Chromium, Redis): without it the
    test is skipped, saying why; under CI (CI set, as .ci/run does) it fails instead, so
    a green CI run never hides a test that did not run."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (under CI a missing requirement fails, not skips)", pytrace=False)
    pytest.skip(why)


# Okta's headers on SCIM requests (shared/reference/idp-okta-and-15five.md §1.1).
OKTA_HEADERS = {
    "Accept": "application/scim+json",
    "Accept-Charset": "utf-8",
    "Content-Type": "application/scim+json; charset=utf-8",
    "User-Agent": "Okta SCIM Client 1.0.0",
    "Connection": "Keep-Alive",
    "Accept-Encoding": "gzip,deflate",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _create_database(server_url: str, name: str) -> None:
    import asyncpg  # only needed for PostgreSQL runs

    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(server_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@dataclass
class LiveServer:
    """A Roster server in a background thread with its own event loop."""

    backend: str
    database_url: str
    settings: Settings
    port: int = 0
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    db: Database | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def scim_url(self) -> str:
        return f"{self.url}/scim/v2"

    def start(self) -> None:
        migrate.upgrade(self.database_url)
        self.db = Database(self.database_url, pool_size=5)
        app = create_app(self.settings, database=self.db)
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            assert self._server is not None
            self.loop.run_until_complete(self._server.serve())

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    def call(self, fn: Callable[[Database], Awaitable[T]]) -> T:
        """Run a directory action on the server's own loop and database."""
        assert self.db is not None
        db = self.db
        future: Future[T] = asyncio.run_coroutine_threadsafe(_call(fn, db), self.loop)
        return future.result(timeout=120)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.db is not None and not self.loop.is_running():
            self.loop.run_until_complete(self.db.dispose())
            self.loop.close()


async def _call(fn: Callable[[Database], Awaitable[T]], db: Database) -> T:
    return await fn(db)


BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@contextmanager
def own_server(backend: str, folder: Path, **overrides: Any) -> Iterator[LiveServer]:
    """A started server on a database of its own (a new SQLite file in `folder`, or a
    new PostgreSQL database, dropped afterwards), with `settings_for`'s overrides."""
    name = f"roster_test_{secrets.token_hex(6)}"
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'roster.db'}"
    else:
        asyncio.run(_create_database(POSTGRES_URL, name))
        url = _with_database(POSTGRES_URL, name)
    live = LiveServer(backend, url, settings_for(url, **overrides))
    try:
        live.start()
        yield live
    finally:
        live.stop()
        if backend != "sqlite":
            asyncio.run(_drop_database(POSTGRES_URL, name))


# Webhooks in tests (the server's deliverer and `roster` commands alike): receivers on
# 127.0.0.1 are allowed, retries come within a second, an attempt times out after 3 s,
# and an endpoint gets at most 2 attempts at once per deliverer (tests/e2e/events).
WEBHOOK_ENV = {
    "ROSTER_WEBHOOK_ALLOW_PRIVATE": "1",
    "ROSTER_WEBHOOK_RETRY_SCHEDULE": "0.2,0.4,0.6",
    "ROSTER_WEBHOOK_TIMEOUT_SECONDS": "3",
    "ROSTER_WEBHOOK_POLL_SECONDS": "0.1",
    "ROSTER_WEBHOOK_CONCURRENCY": "8",
    "ROSTER_WEBHOOK_PER_ENDPOINT": "2",
}


def settings_for(database_url: str, **overrides: Any) -> Settings:
    webhooks = {k.removeprefix("ROSTER_").lower(): v for k, v in WEBHOOK_ENV.items()}
    return Settings(
        database_url=database_url,
        log_json=True,
        log_level="WARNING",
        **{**webhooks, **overrides},
    )


@dataclass
class Company:
    """A company with SCIM on, a token, and an HTTP client speaking like Okta."""

    server: LiveServer
    tenant: Tenant
    token: str
    token_id: str
    client: httpx.Client

    @property
    def subdomain(self) -> str:
        return self.tenant.subdomain

    def call(self, fn: Callable[[Database], Awaitable[T]]) -> T:
        return self.server.call(fn)

    def refresh(self) -> Tenant:
        self.tenant = self.server.call(lambda db: tenants.get_tenant(db, self.subdomain))
        return self.tenant


def make_company(server: LiveServer, **settings: Any) -> Company:
    subdomain = f"co-{secrets.token_hex(5)}"

    async def setup(db: Database) -> tuple[Tenant, str, str]:
        await tenants.create_tenant(db, subdomain, f"Company {subdomain}")
        await tenants.set_scim_enabled(db, subdomain, True)
        if settings:
            await tenants.update_settings(db, subdomain, **settings)
        token_id, secret = await tokens.create_token(db, subdomain, "Okta")
        return await tenants.get_tenant(db, subdomain), token_id, secret

    tenant, token_id, secret = server.call(setup)
    client = httpx.Client(
        base_url=server.scim_url,
        headers={**OKTA_HEADERS, "Authorization": f"Bearer {secret}"},
        timeout=60,
    )
    return Company(server, tenant, secret, token_id, client)
