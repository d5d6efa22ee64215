"""Concurrency against a real `roster serve` process (two workers) over real
connections, on SQLite and PostgreSQL: concurrent membership adds all land, duplicate
creates give one 201 and 409s, conditional writes give one winner and 412s, and one
company's writes do not wait on another's. Outcomes are judged by status codes, the
database's contents and the order of completion, never by elapsed time."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from roster.scim.schema import PATCH_OP
from tests.support.harness import BACKENDS
from tests.support.procserver import RosterProcess, Tenant, database, provision, query


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RosterProcess, list[Tenant]]]:
    tmp = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    with database(request.param, tmp) as url:
        companies = provision(url, 2)
        server = RosterProcess(url, tmp / "server.log", workers=2)
        server.start()
        try:
            yield server, companies
        finally:
            server.stop()


def _client(server: RosterProcess, tenant: Tenant, connections: int = 100) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.scim_url,
        headers=tenant.headers(),
        timeout=120,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def test_100_concurrent_membership_adds_all_land(live: tuple[RosterProcess, list[Tenant]]) -> None:
    server, (company, _) = live

    async def run() -> None:
        async with _client(server, company) as client:
            made = await asyncio.gather(
                *(client.post("/Users", json={"userName": f"m{i}@example.com"}) for i in range(100))
            )
            assert [r.status_code for r in made] == [201] * 100, [r.text for r in made][:3]
            ids = {r.json()["id"] for r in made}
            group = (await client.post("/Groups", json={"displayName": "Everyone"})).json()
            adds = await asyncio.gather(
                *(
                    client.patch(
                        f"/Groups/{group['id']}",
                        json={
                            "schemas": [PATCH_OP],
                            "Operations": [
                                {"op": "add", "path": "members", "value": [{"value": i}]}
                            ],
                        },
                    )
                    for i in ids
                )
            )
            assert sorted({r.status_code for r in adds}) == [204], [r.text for r in adds][:3]
            final = (await client.get(f"/Groups/{group['id']}")).json()
            assert {m["value"] for m in final["members"]} == ids
            assert final["meta"]["version"] == 'W/"101"'  # every add was its own write

    asyncio.run(run())


def test_concurrent_push_now_replaces_leave_exactly_one_of_them(
    live: tuple[RosterProcess, list[Tenant]],
) -> None:
    """Push Now replaces do not commute: ten at once on one group all succeed and the
    group ends with exactly one of the pushed lists, never a mix."""
    server, (company, _) = live

    async def run() -> None:
        async with _client(server, company) as client:
            made = await asyncio.gather(
                *(
                    client.post("/Users", json={"userName": f"push{i}@example.com"})
                    for i in range(40)
                )
            )
            people = [r.json()["id"] for r in made]
            group = (await client.post("/Groups", json={"displayName": "Pushed"})).json()
            lists = [sorted(people[i : i + 30]) for i in range(10)]
            pushes = await asyncio.gather(
                *(
                    client.patch(
                        f"/Groups/{group['id']}",
                        json={
                            "schemas": [PATCH_OP],
                            "Operations": [
                                {
                                    "op": "replace",
                                    "path": "members",
                                    "value": [{"value": m} for m in members],
                                }
                            ],
                        },
                    )
                    for members in lists
                )
            )
            assert sorted({r.status_code for r in pushes}) == [204], [r.text for r in pushes][:3]
            final = (await client.get(f"/Groups/{group['id']}")).json()
            assert sorted(m["value"] for m in final["members"]) in lists

    asyncio.run(run())


def test_20_concurrent_creates_of_one_user_name(live: tuple[RosterProcess, list[Tenant]]) -> None:
    server, (company, _) = live

    async def run() -> None:
        async with _client(server, company) as client:
            # Differently cased: userName is unique without regard to case.
            names = [f"{'Dup' if i % 2 else 'dup'}@Example.com" for i in range(20)]
            results = await asyncio.gather(
                *(client.post("/Users", json={"userName": n}) for n in names)
            )
            codes = sorted(r.status_code for r in results)
            assert codes == [201] + [409] * 19, [r.text for r in results if r.status_code >= 500]
            for r in results:
                if r.status_code == 409:
                    assert r.json()["scimType"] == "uniqueness"
            found = await client.get("/Users", params={"filter": 'userName eq "dup@example.com"'})
            assert found.json()["totalResults"] == 1

    asyncio.run(run())
    rows = query(
        server.database_url,
        "SELECT count(*) FROM people WHERE tenant_id = :t AND user_name_lower = 'dup@example.com'",
        t=company.tenant_id,
    )
    assert rows == [(1,)]


def test_concurrent_conditional_writes_have_one_winner(
    live: tuple[RosterProcess, list[Tenant]],
) -> None:
    server, (company, _) = live

    async def run() -> None:
        async with _client(server, company) as client:
            person = (await client.post("/Users", json={"userName": "cond@example.com"})).json()
            etag = person["meta"]["version"]
            puts = await asyncio.gather(
                *(
                    client.put(
                        f"/Users/{person['id']}",
                        json={"userName": "cond@example.com", "title": f"Title {i}"},
                        headers={"If-Match": etag},
                    )
                    for i in range(10)
                )
            )
            codes = sorted(r.status_code for r in puts)
            assert codes == [200] + [412] * 9, [r.text for r in puts]
            winner = next(r for r in puts if r.status_code == 200).json()
            now = (await client.get(f"/Users/{person['id']}")).json()
            assert now["title"] == winner["title"] and now["meta"]["version"] == 'W/"2"'

            group = (await client.post("/Groups", json={"displayName": "Cond"})).json()
            patches = await asyncio.gather(
                *(
                    client.patch(
                        f"/Groups/{group['id']}",
                        json={
                            "schemas": [PATCH_OP],
                            "Operations": [
                                {"op": "replace", "path": "displayName", "value": f"Cond {i}"}
                            ],
                        },
                        headers={"If-Match": group["meta"]["version"]},
                    )
                    for i in range(10)
                )
            )
            assert sorted(r.status_code for r in patches) == [204] + [412] * 9

    asyncio.run(run())


def test_companies_progress_together(live: tuple[RosterProcess, list[Tenant]]) -> None:
    """Forty writes for each of two companies at once: both make progress throughout;
    neither waits for all of the other's writes to finish first."""
    server, (a, b) = live
    order: list[str] = []

    async def write(client: httpx.AsyncClient, who: str, i: int) -> int:
        r = await client.post("/Users", json={"userName": f"fair-{who}-{i}@example.com"})
        order.append(who)
        return r.status_code

    async def run() -> None:
        async with _client(server, a, 20) as ca, _client(server, b, 20) as cb:
            codes = await asyncio.gather(
                *(write(ca, "a", i) for i in range(40)), *(write(cb, "b", i) for i in range(40))
            )
        assert set(codes) == {201}, codes

    asyncio.run(run())
    # Each company's first write finished before the other company's last one.
    assert order.index("a") < len(order) - 1 - order[::-1].index("b")
    assert order.index("b") < len(order) - 1 - order[::-1].index("a")


def test_a_held_lock_in_one_company_does_not_stop_another(
    live: tuple[RosterProcess, list[Tenant]],
) -> None:
    """A write of company A waits on a row lock held outside Roster; company B's writes
    (and A's writes to other people) all complete while it waits. On SQLite there is
    one writer per database: B's reads go on (WAL), B's writes queue behind the lock
    and complete once it is released, never failing."""
    server, (a, b) = live

    async def run() -> None:
        async with _client(server, a, 20) as ca, _client(server, b, 20) as cb:
            held = (await ca.post("/Users", json={"userName": "held@example.com"})).json()
            other = (await ca.post("/Users", json={"userName": "free@example.com"})).json()
            b_person = (await cb.post("/Users", json={"userName": "b.person@example.com"})).json()
            release = await _hold_lock(server.database_url, a.tenant_id, held["id"])
            try:
                blocked = asyncio.ensure_future(
                    ca.put(
                        f"/Users/{held['id']}",
                        json={"userName": "held@example.com", "title": "after the lock"},
                    )
                )
                if not server.database_url.startswith("sqlite"):
                    await _until_someone_waits_on_a_lock(server.database_url)
                    others = await asyncio.gather(
                        *(
                            cb.post("/Users", json={"userName": f"b{i}@example.com"})
                            for i in range(10)
                        ),
                        cb.patch(
                            f"/Users/{b_person['id']}",
                            json={
                                "schemas": [PATCH_OP],
                                "Operations": [{"op": "replace", "path": "title", "value": "B"}],
                            },
                        ),
                        ca.put(
                            f"/Users/{other['id']}",
                            json={"userName": "free@example.com", "title": "not waiting"},
                        ),
                    )
                    assert [r.status_code for r in others] == [201] * 10 + [200, 200]
                else:
                    reads = await asyncio.gather(
                        *(cb.get(f"/Users/{b_person['id']}") for _ in range(10)),
                        cb.get("/Users"),
                    )
                    assert {r.status_code for r in reads} == {200}
                    queued = asyncio.ensure_future(
                        cb.post("/Users", json={"userName": "queued@example.com"})
                    )
                assert not blocked.done()  # still waiting on the lock
            finally:
                await release()
            assert (await blocked).status_code == 200
            if server.database_url.startswith("sqlite"):
                assert (await queued).status_code == 201

    asyncio.run(run())


async def _until_someone_waits_on_a_lock(url: str) -> None:
    import asyncpg

    pg = await asyncpg.connect(url)
    try:
        for _ in range(6000):
            waiting = await pg.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the write never reached the lock")
    finally:
        await pg.close()


async def _hold_lock(url: str, tenant_id: int, person_id: str) -> Any:
    """Take a lock as another client of the database would, and return its release."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the database's one write lock

        async def release_sqlite() -> None:
            conn.rollback()
            conn.close()

        return release_sqlite
    import asyncpg

    pg = await asyncpg.connect(url)
    transaction = pg.transaction()
    await transaction.start()
    await pg.execute(
        "SELECT 1 FROM people WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant_id, person_id
    )

    async def release_pg() -> None:
        await transaction.rollback()
        await pg.close()

    return release_pg
