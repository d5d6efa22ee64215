"""The CLI flow end to end: the real `roster` commands and a real `roster serve`
process, called over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.harness import POSTGRES_URL, free_port

ROSTER = [sys.executable, "-m", "roster"]


def roster(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ROSTER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(params=["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    base = {**os.environ, "ROSTER_LOG_LEVEL": "WARNING"}
    if request.param == "sqlite":
        yield {**base, "ROSTER_DATABASE_URL": f"sqlite:///{tmp_path}/roster.db"}
        return
    import asyncio
    import secrets

    from tests.support.harness import _create_database, _drop_database, _with_database

    name = f"roster_cli_{secrets.token_hex(5)}"
    asyncio.run(_create_database(POSTGRES_URL, name))
    try:
        yield {**base, "ROSTER_DATABASE_URL": _with_database(POSTGRES_URL, name)}
    finally:
        asyncio.run(_drop_database(POSTGRES_URL, name))


def test_cli_flow_against_a_served_roster(env: dict[str, str]) -> None:
    assert roster(env, "db", "upgrade").returncode == 0
    created = roster(env, "tenant", "create", "acme", "--name", "Acme Inc")
    assert created.returncode == 0, created.stderr
    # Token creation needs SCIM on.
    refused = roster(env, "scim", "token", "create", "acme")
    assert refused.returncode != 0 and "SCIM is not enabled" in refused.stderr
    assert roster(env, "scim", "enable", "acme").returncode == 0
    made = roster(env, "scim", "token", "create", "acme", "--label", "Okta")
    assert made.returncode == 0
    token = made.stdout.strip()
    assert made.stdout == token + "\n" and token.startswith("rstr_scim_")
    listed = roster(env, "scim", "token", "list", "acme")
    assert "Okta" in listed.stdout and token not in listed.stdout
    assert "never" in listed.stdout

    port = free_port()
    server = subprocess.Popen(
        [*ROSTER, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "roster serve did not come up"
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        r = httpx.get(f"{base}/scim/v2/ServiceProviderConfig", headers=headers)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/scim+json")
        r = httpx.get(f"{base}/scim/v2/Users?startIndex=1&count=2", headers=headers)
        assert r.status_code == 200 and r.json()["totalResults"] == 0
        token_id = roster(env, "scim", "token", "list", "acme").stdout.split("│")[1].strip()
        listed = roster(env, "scim", "token", "list", "acme")
        assert "never" not in listed.stdout  # last used is recorded
        assert roster(env, "scim", "token", "revoke", "acme", token_id).returncode == 0
        assert httpx.get(f"{base}/scim/v2/Users", headers=headers).status_code == 401
        # A second token keeps working after rotation; disabling SCIM stops it.
        second = roster(env, "scim", "token", "create", "acme").stdout.strip()
        headers = {"Authorization": f"Bearer {second}"}
        assert httpx.get(f"{base}/scim/v2/Users", headers=headers).status_code == 200
        assert roster(env, "scim", "disable", "acme").returncode == 0
        assert httpx.get(f"{base}/scim/v2/Users", headers=headers).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.stderr is not None
    log = server.stderr.read().decode()
    assert token not in log and second not in log


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["tenant", "create", "Bad_Name"], "lowercase DNS label"),
        (["scim", "enable", "missing"], "no company with subdomain"),
        (["scim", "token", "create", "missing"], "no company with subdomain"),
        (["scim", "token", "revoke", "acme", "nope"], "no active token"),
        (
            ["attribute", "add", "acme", "department", "--type", "string"],
            "must start with 'custom'",
        ),
        (["attribute", "add", "acme", "customX", "--type", "color"], "is not one of"),
        (["group", "add", "acme", ""], "1 to 400 characters"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(
    env: dict[str, str], args: list[str], reason: str
) -> None:
    roster(env, "tenant", "create", "acme")
    result = roster(env, *args)
    assert result.returncode != 0
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_person_add_is_refused_while_scim_is_on(env: dict[str, str]) -> None:
    roster(env, "tenant", "create", "acme")
    added = roster(env, "person", "add", "acme", "pre@acme.test", "--given-name", "Pre")
    assert added.returncode == 0, added.stderr
    roster(env, "scim", "enable", "acme")
    refused = roster(env, "person", "add", "acme", "other@acme.test")
    assert refused.returncode != 0 and "SCIM is on" in refused.stderr


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ROSTER_DATABASE_URL": "mysql://nope"}
    result = roster(env, "tenant", "create", "acme")
    assert result.returncode != 0
    assert "ROSTER_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
