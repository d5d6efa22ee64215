"""Rate limits: 429 with an integer Retry-After, per token and per company, counted in
process or in Redis (shared by workers) when ROSTER_REDIS_URL is set."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from roster.directory import tenants, tokens
from roster.store.db import Database
from tests.support.harness import OKTA_HEADERS, LiveServer, require, settings_for

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    if request.param == "redis":
        require(_redis_up(), "no Redis on 127.0.0.1:6379")
    url = f"sqlite:///{tmp_path}/limited.db"
    settings = settings_for(
        url,
        rate_limit_per_token=5,
        rate_limit_per_company=8,
        redis_url=REDIS_URL if request.param == "redis" else "",
    )
    live = LiveServer("sqlite", url, settings)
    live.start()
    yield live
    live.stop()


def _company_tokens(server: LiveServer, subdomain: str) -> tuple[str, str]:
    async def setup(db: Database) -> tuple[str, str]:
        await tenants.create_tenant(db, subdomain)
        await tenants.set_scim_enabled(db, subdomain, True)
        return (await tokens.create_token(db, subdomain))[1], (
            await tokens.create_token(db, subdomain)
        )[1]

    return server.call(setup)


def test_over_the_limit_gets_429_with_integer_retry_after(limited: LiveServer) -> None:
    subdomain = f"rl-{secrets.token_hex(4)}"
    first, second = _company_tokens(limited, subdomain)
    statuses: list[int] = []
    retry_after: set[str] = set()
    with httpx.Client(base_url=limited.scim_url, headers=OKTA_HEADERS) as client:
        for _ in range(40):
            r = client.get("/Users", headers={"Authorization": f"Bearer {first}"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                retry_after.add(r.headers["retry-after"])
                assert r.json()["status"] == "429"
        assert 200 in statuses and 429 in statuses
        assert all(v.isdigit() for v in retry_after)
        # The company's limit covers all its tokens together: within one window, token B
        # stays under its own limit but the company's total goes over.
        time.sleep(1.05 - (time.time() % 1))
        for _ in range(5):
            client.get("/Users", headers={"Authorization": f"Bearer {first}"})
        b_statuses = [
            client.get("/Users", headers={"Authorization": f"Bearer {second}"}).status_code
            for _ in range(4)
        ]
        assert b_statuses[0] == 200 and 429 in b_statuses
