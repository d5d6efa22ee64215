"""The replay cache is shared by every worker: two Roster servers (two workers, each
with its own engine, event loop and port) on one database — or one Redis — refuse an
assertion the other already accepted, even when both receive it at the same moment.
Also: Roster behind a TLS proxy (ROSTER_PUBLIC_URL)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import redis
import sqlalchemy as sa

from roster.store import sso as sso_store
from roster.store.db import Database
from roster.store.tables import saml_replay
from tests.support.harness import Company, LiveServer, require, settings_for
from tests.support.sso_flow import (
    Browser,
    Outcomes,
    SsoCompany,
    assert_refused,
    assert_signed_in,
    enable_sso,
)

REDIS_URL = "redis://127.0.0.1:6379/14"
# Workers of one deployment answer on one public URL (the ACS URL the IdP posts to).
PUBLIC = "http://roster.workers.test"
ALICE = "alice@example.com"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _worker(server: LiveServer, **overrides: object) -> LiveServer:
    live = LiveServer(
        server.backend, server.database_url, settings_for(server.database_url, **overrides)
    )
    live.start()
    return live


@pytest.fixture
def workers(server: LiveServer) -> Iterator[tuple[LiveServer, LiveServer]]:
    first = _worker(server, public_url=PUBLIC)
    second = _worker(server, public_url=PUBLIC)
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def redis_workers(server: LiveServer) -> Iterator[tuple[LiveServer, LiveServer]]:
    require(_redis_up(), "no Redis on 127.0.0.1:6379")
    first = _worker(server, redis_url=REDIS_URL, public_url=PUBLIC)
    second = _worker(server, redis_url=REDIS_URL, public_url=PUBLIC)
    yield first, second
    first.stop()
    second.stop()


def _replay_rows(company: Company) -> list[str]:
    async def read(db: Database) -> list[str]:
        async with db.read() as conn:
            rows = await conn.execute(
                sa.select(saml_replay.c.assertion_id).where(
                    saml_replay.c.tenant_id == company.tenant.id
                )
            )
            return [r.assertion_id for r in rows]

    return company.call(read)


def _replayed_at(
    other: LiveServer, co: SsoCompany, cookies: dict[str, str], response: object
) -> None:
    b = Browser(other, cookies=dict(cookies))
    try:
        outcomes = Outcomes(other)
        b.cookies.pop("roster_session", None)
        assert_refused(b.post_acs(co, response), outcomes, "replay")  # type: ignore[arg-type]
    finally:
        b.close()


def test_a_response_used_at_one_worker_is_refused_at_another(
    company: Company, workers: tuple[LiveServer, LiveServer]
) -> None:
    first, second_worker = workers
    co = enable_sso(company, allow_idp_initiated=True, base_url=PUBLIC)
    co.add_person(ALICE)
    # SP-initiated: the request id is one-shot across workers.
    b = Browser(first)
    request = b.start_login(co)
    cookies = dict(b.cookies)
    response = co.response(ALICE, in_response_to=request.id)
    assert_signed_in(b, b.post_acs(co, response), ALICE)
    _replayed_at(second_worker, co, cookies, response)
    # IdP-initiated: the assertion id is.
    unsolicited = co.response(ALICE)
    assert_signed_in(b, b.post_acs(co, unsolicited), ALICE)
    _replayed_at(second_worker, co, {}, unsolicited)
    b.close()
    keys = _replay_rows(company)
    assert f"r:{request.id}" in keys
    assert len([k for k in keys if k.startswith("a:")]) == 2


def _race(co: SsoCompany, servers: list[LiveServer], rounds: int = 4) -> None:
    """The same response posted to every worker at once: exactly one signs in."""
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        for _ in range(rounds):
            response = co.response(ALICE)
            browsers = [Browser(s) for s in servers]
            try:
                results = list(pool.map(lambda b, r=response: b.post_acs(co, r), browsers))
            finally:
                for b in browsers:
                    b.close()
            statuses = sorted(r.status_code for r in results)
            assert statuses == [303] + [403] * (len(servers) - 1), statuses


def test_simultaneous_posts_to_two_workers_sign_in_once(
    company: Company, workers: tuple[LiveServer, LiveServer]
) -> None:
    co = enable_sso(company, allow_idp_initiated=True, base_url=PUBLIC)
    co.add_person(ALICE)
    _race(co, list(workers))


def test_redis_replay_cache_shared_by_workers(
    company: Company, redis_workers: tuple[LiveServer, LiveServer]
) -> None:
    first, second = redis_workers
    co = enable_sso(company, allow_idp_initiated=True, base_url=PUBLIC)
    co.add_person(ALICE)
    b = Browser(first)
    try:
        request = b.start_login(co)
        cookies = dict(b.cookies)
        response = co.response(ALICE, in_response_to=request.id)
        assert_signed_in(b, b.post_acs(co, response), ALICE)
    finally:
        b.close()
    _replayed_at(second, co, cookies, response)
    # The memory is Redis's, not the database's.
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assertion_id = response.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion").get("ID")
        tenant_id = company.tenant.id
        assert client.exists(f"roster:saml-replay:{tenant_id}:a:{assertion_id}") == 1
        assert client.exists(f"roster:saml-replay:{tenant_id}:r:{request.id}") == 1
        assert client.pttl(f"roster:saml-replay:{tenant_id}:a:{assertion_id}") > 0
    finally:
        client.close()
    assert _replay_rows(company) == []
    _race(co, [first, second])


def test_redis_down_refuses_sign_in_rather_than_skip_the_check(
    company: Company, server: LiveServer
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    worker = _worker(server, redis_url=f"redis://127.0.0.1:{dead_port}/0", public_url=PUBLIC)
    try:
        co = enable_sso(company, allow_idp_initiated=True, base_url=PUBLIC)
        co.add_person(ALICE)
        b = Browser(worker)
        try:
            outcomes = Outcomes(worker)
            assert_refused(b.post_acs(co, co.response(ALICE)), outcomes, "replay_cache_unavailable")
        finally:
            b.close()
    finally:
        worker.stop()


def test_behind_a_tls_proxy_with_public_url(company: Company, server: LiveServer) -> None:
    """Roster sees http://127.0.0.1:PORT; the IdP and the browser see
    https://roster.example.test. Endpoints, Destination and Recipient use the latter."""
    public = "https://roster.example.test"
    proxied = _worker(server, public_url=public)
    try:
        co = enable_sso(company, base_url=public)
        co.add_person(ALICE)
        b = Browser(proxied)
        try:
            request = b.start_login(co)
            assert request.acs_url == f"{public}/saml2/{co.subdomain}/acs"
            assert request.issuer == f"{public}/saml2/{co.subdomain}/metadata"
            r = b.post_acs(co, co.response(ALICE, in_response_to=request.id))
            assert r.status_code == 303
            session = next(h for h in r.headers.get_list("set-cookie") if "roster_session=" in h)
            assert "Secure" in session  # https in front: the session cookie is Secure too
            assert "Signed in as" in b.me().text
            metadata = b.request("GET", f"/saml2/{co.subdomain}/metadata").text
            assert f'entityID="{public}/saml2/{co.subdomain}/metadata"' in metadata
            # A response addressed to the internal URL is not for us.
            request = b.start_login(co)
            internal = f"{server.url}/saml2/{co.subdomain}/acs"
            outcomes = Outcomes(proxied)
            wrong = co.response(ALICE, in_response_to=request.id, acs_url=internal)
            assert_refused(b.post_acs(co, wrong), outcomes, "destination")
        finally:
            b.close()
    finally:
        proxied.stop()


def test_replay_table_reclaims_expired_keys_and_purges_them(company: Company) -> None:
    """The store functions on a fixed clock: a key is refused while it lives, reusable
    once expired (an expired assertion never gets this far anyway), and swept."""
    tenant_id = company.tenant.id
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    minute = timedelta(minutes=1)

    async def scenario(db: Database) -> list[object]:
        seen: list[object] = []
        async with db.write() as conn:
            seen.append(await sso_store.remember_once(conn, tenant_id, "a:x", t0 + minute, t0))
            seen.append(await sso_store.remember_once(conn, tenant_id, "a:x", t0 + minute, t0))
            later = t0 + 2 * minute
            seen.append(
                await sso_store.remember_once(conn, tenant_id, "a:x", later + minute, later)
            )
            seen.append(await sso_store.remember_once(conn, tenant_id, "a:old", t0 - minute, t0))
            seen.append(await sso_store.purge_expired(conn, later))
        return seen

    first, replay, reclaimed, _, purged = company.call(scenario)
    assert (first, replay, reclaimed) == (True, False, True)
    assert purged >= 1  # every company's expired keys go (other tests' too)
    assert sorted(_replay_rows(company)) == ["a:x"]
