"""A real `roster serve` process (its own process group, so that kill -9 takes its
workers too), companies and tokens for it, and throw-away databases: the harness of
the concurrency, fault and security tests."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from roster.directory import tenants, tokens
from roster.store import migrate
from roster.store.db import Database
from tests.support.harness import (
    OKTA_HEADERS,
    POSTGRES_URL,
    _create_database,
    _drop_database,
    _with_database,
    free_port,
)


@dataclass
class Tenant:
    subdomain: str
    token: str
    tenant_id: int

    def headers(self) -> dict[str, str]:
        return {**OKTA_HEADERS, "Authorization": f"Bearer {self.token}"}


def provision(database_url: str, count: int = 1, **settings: Any) -> list[Tenant]:
    """Companies with SCIM on and a token each (the schema is created first)."""
    migrate.upgrade(database_url)

    async def run() -> list[Tenant]:
        db = Database(database_url, pool_size=1)
        out = []
        try:
            for _ in range(count):
                subdomain = f"co-{secrets.token_hex(5)}"
                tenant = await tenants.create_tenant(db, subdomain, subdomain)
                await tenants.set_scim_enabled(db, subdomain, True)
                if settings:
                    await tenants.update_settings(db, subdomain, **settings)
                _, secret = await tokens.create_token(db, subdomain, "Okta")
                out.append(Tenant(subdomain, secret, tenant.id))
        finally:
            await db.dispose()
        return out

    return asyncio.run(run())


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Read the database directly (what is really there, not what the API says)."""
    import sqlalchemy as sa

    async def run() -> list[tuple[Any, ...]]:
        db = Database(database_url, pool_size=1)
        try:
            async with db.read() as conn:
                return [tuple(r) for r in await conn.execute(sa.text(sql), params)]
        finally:
            await db.dispose()

    return asyncio.run(run())


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL for one test: a SQLite file, or a PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/roster.db"
        return
    name = f"roster_proc_{secrets.token_hex(5)}"
    asyncio.run(_create_database(POSTGRES_URL, name))
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        asyncio.run(_drop_database(POSTGRES_URL, name))


@dataclass
class RosterProcess:
    """`roster serve` in a subprocess; stdout and stderr go to a file for later greps."""

    database_url: str
    log_path: Path
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def scim_url(self) -> str:
        return f"{self.url}/scim/v2"

    def start(self, *, ready: str = "/readyz", timeout: float = 90) -> None:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "ROSTER_DATABASE_URL": self.database_url,
            "ROSTER_LOG_LEVEL": "INFO",
            "ROSTER_SECRET_KEY": "procserver-test-secret-key-0123456789abcdef",
            **self.env,
        }
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "roster",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 reaches the workers
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"roster serve exited: {self.logs()[-2000:]}")
            try:
                if httpx.get(self.url + ready, timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"roster serve did not come up: {self.logs()[-2000:]}")
            time.sleep(0.1)

    def kill9(self) -> None:
        """kill -9 of the whole server (master and workers), as a crash would."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
