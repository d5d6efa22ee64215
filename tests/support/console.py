"""Console test helpers: an admin for a company, and a signed-in client."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from roster.directory import admins
from roster.store.db import Database
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company, LiveServer

PASSWORD = "correct-horse-battery-staple"


def make_admin(
    server: LiveServer,
    subdomain: str,
    *,
    roles: tuple[str, ...] | None = None,
    email: str | None = None,
) -> str:
    email = email or f"admin-{secrets.token_hex(3)}@{subdomain}.example"
    chosen = roles or (admins.ACCOUNT_ADMIN, admins.MANAGE_INTEGRATIONS)

    async def create(db: Database) -> None:
        await admins.create_admin(db, subdomain, email, PASSWORD, roles=chosen)

    server.call(create)
    return email


def signed_in(company: Company, *, roles: tuple[str, ...] | None = None) -> ConsoleClient:
    email = make_admin(company.server, company.subdomain, roles=roles)
    client = ConsoleClient(company.server.url)
    response = client.login(company.subdomain, email, PASSWORD)
    assert response.status_code == 303, response.text
    assert client.get("/admin").status_code == 200  # picks up the session's CSRF token
    return client


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """The provisioning log is written in batches: wait for a condition."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
