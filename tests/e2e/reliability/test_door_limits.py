"""The doors an attacker knocks on without credentials: SCIM requests with no or a wrong
token are limited per address (a valid token never is), and /metrics is open, behind a
bearer token, or on a port of its own. Against a real `roster serve`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.harness import BACKENDS, free_port
from tests.support.procserver import RosterProcess, Tenant, database, provision


@pytest.fixture(params=BACKENDS)
def company_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Tenant]]:
    with database(request.param, tmp_path) as url:
        (company,) = provision(url)
        yield url, company


def _serve(url: str, tmp_path: Path, **env: str) -> RosterProcess:
    server = RosterProcess(url, tmp_path / "roster.log", env=env)
    server.start()
    return server


def test_requests_without_a_valid_token_are_limited_per_address(
    company_db: tuple[str, Tenant], tmp_path: Path
) -> None:
    url, company = company_db
    server = _serve(url, tmp_path, ROSTER_RATE_LIMIT_UNAUTHENTICATED="6")
    try:
        users = f"{server.scim_url}/Users"
        guesses = [
            {"Authorization": "Bearer rstr_scim_" + "x" * 43},  # token-shaped, looked up
            {"Authorization": "Bearer not-a-token"},
            {},  # no token at all
        ]
        answers = [httpx.get(users, headers=guesses[i % 3], timeout=30) for i in range(6)]
        assert [r.status_code for r in answers] == [401] * 6
        for headers in guesses:
            r = httpx.get(users, headers=headers, timeout=30)
            assert r.status_code == 429, r.text
            assert 1 <= int(r.headers["Retry-After"]) <= 60
            assert "without a valid token" in r.json()["detail"]
        # The company's own IdP, from the same address, is never refused for them.
        r = httpx.get(users, headers=company.headers(), timeout=30)
        assert r.status_code == 200, r.text
    finally:
        server.stop()


def test_metrics_behind_a_bearer_token(company_db: tuple[str, Tenant], tmp_path: Path) -> None:
    url, _ = company_db
    server = _serve(url, tmp_path, ROSTER_METRICS_TOKEN="metrics-reader-secret-0123456789")
    try:
        metrics = f"{server.url}/metrics"
        assert httpx.get(metrics, timeout=30).status_code == 401
        wrong = {"Authorization": "Bearer metrics-reader-secret-0123456788"}
        assert httpx.get(metrics, headers=wrong, timeout=30).status_code == 401
        right = {"Authorization": "Bearer metrics-reader-secret-0123456789"}
        r = httpx.get(metrics, headers=right, timeout=30)
        assert r.status_code == 200 and "roster_http_requests_total" in r.text
    finally:
        server.stop()


def test_metrics_on_a_port_of_their_own(company_db: tuple[str, Tenant], tmp_path: Path) -> None:
    url, _ = company_db
    port = free_port()
    server = _serve(url, tmp_path, ROSTER_METRICS_PORT=str(port))
    try:
        assert httpx.get(f"{server.url}/metrics", timeout=30).status_code == 404
        httpx.get(f"{server.url}/healthz", timeout=30)
        r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)
        assert r.status_code == 200 and "roster_http_requests_total" in r.text
    finally:
        server.stop()


def test_a_metrics_port_with_several_workers_is_refused(tmp_path: Path) -> None:
    """One process's metrics on a shared port would be a wrong answer: refused at start."""
    run = subprocess.run(
        [sys.executable, "-m", "roster", "serve", "--workers", "2"],
        env={
            "PATH": "/usr/bin:/bin",
            "ROSTER_DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
            "ROSTER_METRICS_PORT": str(free_port()),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "ROSTER_METRICS_PORT" in run.stderr + run.stdout
