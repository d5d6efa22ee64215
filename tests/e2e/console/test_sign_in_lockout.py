"""The console's password sign-in lockout holds under concurrent tries, across workers,
per address across companies, and X-Forwarded-For is believed only from a listed proxy.
Against a real two-worker `roster serve` on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from roster.directory import admins
from roster.store.db import Database
from tests.support.console import PASSWORD
from tests.support.harness import POSTGRES_URL
from tests.support.procserver import RosterProcess, Tenant, database, provision

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOCKED = "Too many failed sign-ins"
WRONG = "Company, email or password is incorrect"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("ROSTER_TEST_POSTGRES_URL is not set")
    return str(request.param)


def _add_admin(url: str, subdomain: str, email: str) -> None:
    async def run() -> None:
        db = Database(url, pool_size=1)
        try:
            await admins.create_admin(db, subdomain, email, PASSWORD)
        finally:
            await db.dispose()

    asyncio.run(run())


def _login_form(base_url: str) -> tuple[str, str]:
    """(the login CSRF cookie header, the form's token), as a browser gets them."""
    r = httpx.get(f"{base_url}/admin/login", timeout=30)
    assert r.status_code == 200
    match = _CSRF.search(r.text)
    assert match
    cookie = "; ".join(f"{k}={v}" for k, v in r.cookies.items())
    return cookie, match.group(1)


def _outcome(response: httpx.Response) -> str:
    if response.status_code == 303:
        return "signed_in"
    if response.status_code == 429 and LOCKED in response.text:
        return "locked"
    if response.status_code == 401 and WRONG in response.text:
        return "wrong"
    raise AssertionError(f"{response.status_code}: {response.text[:500]}")


async def _tries(base_url: str, attempts: list[tuple[str, str, str, dict[str, str]]]) -> list[str]:
    """Post every (company, email, password, extra headers) at once."""
    cookie, token = _login_form(base_url)
    limits = httpx.Limits(max_connections=len(attempts))
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:

        async def one(company: str, email: str, password: str, extra: dict[str, str]) -> str:
            r = await client.post(
                "/admin/login",
                data={
                    "company": company,
                    "email": email,
                    "password": password,
                    "csrf_token": token,
                    "next": "/admin",
                },
                headers={"Cookie": cookie, **extra},
            )
            return _outcome(r)

        return list(await asyncio.gather(*(one(*a) for a in attempts)))


@pytest.fixture
def two_companies(backend: str, tmp_path: Path) -> Iterator[tuple[str, list[Tenant]]]:
    with database(backend, tmp_path) as url:
        yield url, provision(url, count=2)


def _serve(url: str, tmp_path: Path, **env: str) -> RosterProcess:
    server = RosterProcess(url, tmp_path / "roster.log", workers=2, env=env)
    server.start()
    return server


def test_fifty_concurrent_wrong_passwords_evaluate_at_most_the_limit(
    two_companies: tuple[str, list[Tenant]], tmp_path: Path
) -> None:
    url, (company, _) = two_companies
    email = f"jordan@{company.subdomain}.example"
    _add_admin(url, company.subdomain, email)
    server = _serve(url, tmp_path)
    try:
        wrong = [(company.subdomain, email, f"not-the-password-{i}", {}) for i in range(50)]
        outcomes = Counter(asyncio.run(_tries(server.url, wrong)))
        # Every try was answered; no more than the limit reached the password check.
        assert sum(outcomes.values()) == 50
        assert outcomes["wrong"] <= admins.EMAIL_FAILURES, outcomes
        assert outcomes["locked"] >= 50 - admins.EMAIL_FAILURES, outcomes
        # While locked, the right password is refused too, on either worker.
        right = [(company.subdomain, email, PASSWORD, {}) for _ in range(4)]
        assert asyncio.run(_tries(server.url, right)) == ["locked"] * 4
    finally:
        server.stop()


def test_an_address_is_counted_across_companies_and_forwarded_for_is_not_believed(
    two_companies: tuple[str, list[Tenant]], tmp_path: Path
) -> None:
    """Spreading tries over two companies, many emails and made-up X-Forwarded-For
    addresses does not get past the per-address limit: no proxy is listed."""
    url, (first, second) = two_companies
    server = _serve(url, tmp_path)
    try:
        spread = [
            (
                (first if i % 2 else second).subdomain,
                f"guess-{i}@example.com",
                "not-the-password",
                {"X-Forwarded-For": f"198.51.100.{i}"},
            )
            for i in range(admins.IP_FAILURES)
        ]
        outcomes = Counter(asyncio.run(_tries(server.url, spread)))
        assert outcomes == {"wrong": admins.IP_FAILURES}, outcomes
        late = [(first.subdomain, "new@example.com", "x", {"X-Forwarded-For": "192.0.2.1"})]
        assert asyncio.run(_tries(server.url, late)) == ["locked"]
    finally:
        server.stop()


def test_a_listed_proxys_forwarded_for_is_the_address_counted(
    two_companies: tuple[str, list[Tenant]], tmp_path: Path
) -> None:
    url, (company, _) = two_companies
    server = _serve(url, tmp_path, ROSTER_TRUSTED_PROXIES="127.0.0.1")
    try:
        one_address = [
            (company.subdomain, f"guess-{i}@example.com", "x", {"X-Forwarded-For": "203.0.113.7"})
            for i in range(admins.IP_FAILURES + 1)
        ]
        outcomes = Counter(asyncio.run(_tries(server.url, one_address)))
        assert outcomes == {"wrong": admins.IP_FAILURES, "locked": 1}, outcomes
        # Another client behind the same proxy is not locked out by the first.
        other = [(company.subdomain, "new@example.com", "x", {"X-Forwarded-For": "203.0.113.8"})]
        assert asyncio.run(_tries(server.url, other)) == ["wrong"]
    finally:
        server.stop()


def test_a_successful_sign_in_clears_the_accounts_count(
    two_companies: tuple[str, list[Tenant]], tmp_path: Path
) -> None:
    url, (company, _) = two_companies
    email = f"lee@{company.subdomain}.example"
    _add_admin(url, company.subdomain, email)
    server = _serve(url, tmp_path)
    try:
        typos = [(company.subdomain, email, "typo", {})] * (admins.EMAIL_FAILURES - 1)
        assert asyncio.run(_tries(server.url, typos)) == ["wrong"] * len(typos)
        assert asyncio.run(_tries(server.url, [(company.subdomain, email, PASSWORD, {})])) == [
            "signed_in"
        ]
        # A fresh window: as many typos again before a lock.
        assert asyncio.run(_tries(server.url, typos)) == ["wrong"] * len(typos)
        assert asyncio.run(_tries(server.url, [(company.subdomain, email, PASSWORD, {})])) == [
            "signed_in"
        ]
    finally:
        server.stop()
