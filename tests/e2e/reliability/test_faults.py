"""Faults, survived without losing an acknowledged write or keeping a half-written one:

- kill -9 of `roster serve` under write load, then a restart (SQLite WAL, PostgreSQL);
- PostgreSQL unreachable under load (a TCP proxy between Roster and PostgreSQL is cut
  and restored; the shared server is never stopped): 503 with Retry-After while down,
  no request hangs, recovery without a restart;
- SQLite's disk full (the database on a small tmpfs filled to the brim) and its
  filesystem read-only (a read-only bind mount): 503, reads go on, no corruption.

"Nothing half-written" is checked in the database itself: every write is one
transaction with its audit row and version bump, so people, membership, versions and
audit rows must agree exactly, acknowledged or not.

Longer than ~400 lines: each fault shares the same load, restart and agreement checks,
and reads best beside the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from roster.scim.schema import PATCH_OP
from tests.support.harness import BACKENDS, POSTGRES_URL
from tests.support.procserver import RosterProcess, Tenant, database, provision, query
from tests.support.tcpproxy import TcpProxy


class Load:
    """Okta-like writes from several connections; records what was acknowledged."""

    def __init__(self, server: RosterProcess, tenant: Tenant, group_id: str) -> None:
        self.server = server
        self.tenant = tenant
        self.group_id = group_id
        self.users: dict[str, str] = {}  # acknowledged: id -> userName
        self.members: set[str] = set()  # acknowledged membership adds
        self.statuses: list[int] = []
        self.errors = 0  # connections that broke (the server died under them)
        self.serial = 0
        self.changed: asyncio.Event | None = None  # set whenever a request finishes

    def _tick(self) -> None:
        if self.changed is not None:
            self.changed.set()

    async def wait_for(self, done: Any) -> None:
        """Until done(self) is true, checked whenever a request finishes."""
        if self.changed is None:
            self.changed = asyncio.Event()
        while not done(self):
            await self.changed.wait()
            self.changed.clear()

    async def worker(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.serial += 1
            name = f"load{self.serial}-{id(client) % 997}@example.com"
            try:
                r = await client.post("/Users", json={"userName": name, "title": "x" * 100})
                self.statuses.append(r.status_code)
                self._tick()
                if r.status_code != 201:
                    await asyncio.sleep(0.05)
                    continue
                self.users[r.json()["id"]] = name
                pid = r.json()["id"]
                r = await client.patch(
                    f"/Groups/{self.group_id}",
                    json={
                        "schemas": [PATCH_OP],
                        "Operations": [{"op": "add", "path": "members", "value": [{"value": pid}]}],
                    },
                )
                self.statuses.append(r.status_code)
                if r.status_code == 204:
                    self.members.add(pid)
                self._tick()
            except httpx.TransportError:
                self.errors += 1
                self._tick()
                await asyncio.sleep(0.05)

    async def run_until(self, done: Any, connections: int = 12) -> None:
        """Run until done(self) is true (checked between requests)."""
        stop = asyncio.Event()
        self.changed = asyncio.Event()
        async with httpx.AsyncClient(
            base_url=self.server.scim_url, headers=self.tenant.headers(), timeout=60
        ) as client:
            workers = [asyncio.ensure_future(self.worker(client, stop)) for _ in range(connections)]
            await self.wait_for(done)
            stop.set()
            await asyncio.gather(*workers)


def _new_group(server: RosterProcess, tenant: Tenant) -> str:
    r = httpx.post(
        f"{server.scim_url}/Groups",
        json={"displayName": "Load"},
        headers=tenant.headers(),
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def assert_consistent(url: str, tenant: Tenant, group_id: str, load: Load) -> None:
    """Every acknowledged write is there, and the database agrees with itself."""
    t = tenant.tenant_id
    people = dict(query(url, "SELECT id, user_name FROM people WHERE tenant_id = :t", t=t))
    for pid, name in load.users.items():
        assert people.get(pid) == name, f"acknowledged user {pid} {name} lost"
    members = {
        r[0]
        for r in query(
            url,
            "SELECT person_id FROM group_members WHERE tenant_id = :t AND group_id = :g",
            t=t,
            g=group_id,
        )
    }
    assert load.members <= members, f"lost {len(load.members - members)} acknowledged adds"
    assert members <= set(people), "a member row without its person"
    # One create = one person + one audit row; one add = one version + one audit row.
    creates = query(
        url,
        "SELECT resource_id FROM audit_events WHERE tenant_id = :t AND action = 'person.create'",
        t=t,
    )
    assert sorted(r[0] for r in creates) == sorted(people), "people and their audit rows differ"
    ((version,),) = query(
        url, "SELECT version FROM groups WHERE tenant_id = :t AND id = :g", t=t, g=group_id
    )
    ((patches,),) = query(
        url,
        "SELECT count(*) FROM audit_events WHERE tenant_id = :t AND resource_id = :g "
        "AND action = 'group.patch'",
        t=t,
        g=group_id,
    )
    assert version == 1 + patches, "a group version bump without its audit row, or the reverse"
    assert len(members) == patches, "a membership change without its audit row, or the reverse"
    # Every committed change has its events, and only those (the outbox is written in
    # the change's transaction); numbered without a gap through the kills.
    told = query(
        url,
        "SELECT resource_id FROM events WHERE tenant_id = :t AND type = 'person.created'",
        t=t,
    )
    assert sorted(r[0] for r in told) == sorted(people), "people and their events differ"
    ((added,),) = query(
        url,
        "SELECT count(*) FROM events WHERE tenant_id = :t AND resource_id = :g "
        "AND type = 'group.members_added'",
        t=t,
        g=group_id,
    )
    assert added == patches, "a membership change without its event, or the reverse"
    numbers = [
        r[0] for r in query(url, "SELECT seq FROM events WHERE tenant_id = :t ORDER BY seq", t=t)
    ]
    assert numbers == list(range(1, len(numbers) + 1)), "event numbers with a gap or a repeat"
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            db.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_under_write_load_loses_nothing_acknowledged(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        (tenant,) = provision(url)
        server = RosterProcess(url, tmp_path / "server.log")
        server.start()
        try:
            group_id = _new_group(server, tenant)
            load = Load(server, tenant, group_id)
            kills = 0
            for round_ in range(2):
                target = 30 * (round_ + 1)

                def enough(ld: Load, target: int = target) -> bool:
                    return len(ld.members) >= target

                async def crash(ld: Load = load, enough: Any = enough) -> None:
                    # kill -9 while requests are in flight, from inside the load.
                    runner = asyncio.ensure_future(ld.run_until(lambda _: server.proc is None))
                    await asyncio.sleep(0)  # the load has started (and made its event)
                    await ld.wait_for(enough)
                    server.kill9()
                    server.proc = None
                    await runner

                asyncio.run(crash())
                kills += 1
                server.start()  # same port, same database
            assert load.errors > 0, "no request was in flight at a kill"
            assert_consistent(url, tenant, group_id, load)
            # And the API agrees after the restarts.
            r = httpx.get(
                f"{server.scim_url}/Groups/{group_id}", headers=tenant.headers(), timeout=60
            )
            assert load.members <= {m["value"] for m in r.json()["members"]}
            assert kills == 2
        finally:
            server.stop()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs ROSTER_TEST_POSTGRES_URL")
def test_postgres_unreachable_under_load_is_503_then_recovers(tmp_path: Path) -> None:
    with database("postgres", tmp_path) as direct_url:
        (tenant,) = provision(direct_url)
        target = urlsplit(direct_url)
        proxy = TcpProxy(target.port or 5432, target.hostname or "127.0.0.1")
        proxy.start()
        proxied = direct_url.replace(f":{target.port}/", f":{proxy.port}/")
        server = RosterProcess(
            proxied, tmp_path / "server.log", env={"ROSTER_DATABASE_POOL_SIZE": "3"}
        )
        server.start()
        pid = server.proc.pid if server.proc else 0
        try:
            group_id = _new_group(server, tenant)
            load = Load(server, tenant, group_id)
            asyncio.run(load.run_until(lambda ld: len(ld.members) >= 30))

            proxy.cut()
            down: list[httpx.Response] = []
            with httpx.Client(base_url=server.scim_url, headers=tenant.headers(), timeout=60) as c:
                for i in range(12):
                    # A timeout here would raise: no request may hang past Okta's 60 s.
                    if i % 3 == 0:
                        down.append(c.get("/Users", params={"count": "5"}))
                    elif i % 3 == 1:
                        down.append(c.post("/Users", json={"userName": f"down{i}@example.com"}))
                    else:
                        down.append(c.get(f"/Groups/{group_id}"))
                ready = httpx.get(f"{server.url}/readyz", timeout=60)
            assert ready.status_code == 503
            for r in down:
                assert r.status_code == 503, r.text
                assert r.headers["Retry-After"].isdigit()
                assert r.json()["status"] == "503"

            proxy.restore()
            # Recovers by itself: the pool replaces its broken connections.
            with httpx.Client(base_url=server.scim_url, headers=tenant.headers(), timeout=60) as c:
                for _ in range(200):
                    if c.get("/Users", params={"count": "1"}).status_code == 200:
                        break
                    asyncio.run(asyncio.sleep(0.05))
                asyncio.run(load.run_until(lambda ld: len(ld.members) >= 60))
            assert server.proc is not None and server.proc.pid == pid  # never restarted
            assert server.proc.poll() is None
            assert set(load.statuses) <= {201, 204, 503}, set(load.statuses)
            assert not [s for s in load.statuses if s == 500]
            server.stop()
            assert_consistent(direct_url, tenant, group_id, load)
        finally:
            server.stop()
            proxy.stop()


SLOW = os.environ.get("ROSTER_SLOW_TESTS") == "1"


@pytest.mark.skipif(
    not (POSTGRES_URL and SLOW),
    reason="needs ROSTER_TEST_POSTGRES_URL and ROSTER_SLOW_TESTS=1: it waits out the "
    "database timeouts (about a minute)",
)
def test_postgres_gone_silent_is_answered_within_okta_60_s(tmp_path: Path) -> None:
    """PostgreSQL stops answering without closing anything (dropped packets): only
    Roster's own timeouts end the wait. Every request still gets its 503 before Okta's
    60 s timeout (the client here gives up at 60 s, which would fail the test)."""
    with database("postgres", tmp_path) as direct_url:
        (tenant,) = provision(direct_url)
        target = urlsplit(direct_url)
        proxy = TcpProxy(target.port or 5432, target.hostname or "127.0.0.1")
        proxy.start()
        proxied = direct_url.replace(f":{target.port}/", f":{proxy.port}/")
        server = RosterProcess(
            proxied, tmp_path / "server.log", env={"ROSTER_DATABASE_POOL_SIZE": "3"}
        )
        server.start()
        try:
            group_id = _new_group(server, tenant)
            load = Load(server, tenant, group_id)
            asyncio.run(load.run_until(lambda ld: len(ld.members) >= 20))
            proxy.hang()

            async def silent() -> list[httpx.Response]:
                async with httpx.AsyncClient(
                    base_url=server.scim_url, headers=tenant.headers(), timeout=60
                ) as c:
                    return list(
                        await asyncio.gather(
                            c.get("/Users", params={"count": "5"}),
                            c.post("/Users", json={"userName": "silent1@example.com"}),
                            c.get(f"/Groups/{group_id}"),
                            c.post("/Users", json={"userName": "silent2@example.com"}),
                            c.get("/Users", params={"filter": 'userName eq "x@y.z"'}),
                            c.get(f"/Groups/{group_id}"),
                        )
                    )

            for r in asyncio.run(silent()):  # a ReadTimeout (60 s) would fail here
                assert r.status_code == 503, r.text
                assert r.headers["Retry-After"].isdigit()
            proxy.restore()
            with httpx.Client(base_url=server.scim_url, headers=tenant.headers(), timeout=60) as c:
                for _ in range(200):
                    if c.get("/Users", params={"count": "1"}).status_code == 200:
                        break
                    asyncio.run(asyncio.sleep(0.05))
            asyncio.run(load.run_until(lambda ld: len(ld.members) >= 40))
            assert 500 not in load.statuses
            server.stop()
            assert_consistent(direct_url, tenant, group_id, load)
        finally:
            server.stop()
            proxy.stop()


@contextlib.contextmanager
def _mounted_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip()}): disk-full test skipped")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(path: Path) -> Path:
    """Fill the filesystem to the last byte (unbuffered: nothing left to flush)."""
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def test_sqlite_disk_full_is_503_and_recovers(tmp_path: Path) -> None:
    with _mounted_tmpfs(tmp_path / "disk", "6m") as disk:
        url = f"sqlite:///{disk}/roster.db"
        (tenant,) = provision(url)
        server = RosterProcess(url, tmp_path / "server.log")
        server.start()
        try:
            group_id = _new_group(server, tenant)
            load = Load(server, tenant, group_id)
            asyncio.run(load.run_until(lambda ld: len(ld.members) >= 20, connections=4))
            filler = _fill(disk)
            full: list[int] = []
            with httpx.Client(base_url=server.scim_url, headers=tenant.headers(), timeout=60) as c:
                for i in range(2000):
                    r = c.post(
                        "/Users", json={"userName": f"full{i}@example.com", "title": "y" * 200}
                    )
                    full.append(r.status_code)
                    if r.status_code == 201:
                        load.users[r.json()["id"]] = f"full{i}@example.com"
                    elif r.status_code == 503:
                        assert r.headers["Retry-After"].isdigit()
                        break
                    else:
                        raise AssertionError(r.text)
                assert full[-1] == 503, "the disk never filled up"
                assert c.get("/Users", params={"count": "5"}).status_code == 200  # reads go on
                filler.unlink()
                asyncio.run(load.run_until(lambda ld: len(ld.members) >= 40, connections=4))
            assert 500 not in load.statuses
        finally:
            server.stop()
        assert_consistent(url, tenant, group_id, load)


def test_sqlite_read_only_filesystem_is_503_without_corruption(tmp_path: Path) -> None:
    """The database's filesystem turns read-only (a read-only bind mount of its folder;
    the usual cause is the kernel remounting a failing disk): writes are 503, reads go
    on, the file stays intact, and writes work again once it is writable."""
    store = tmp_path / "store"
    store.mkdir()
    url = f"sqlite:///{store}/roster.db"
    (tenant,) = provision(url)
    view = tmp_path / "view"
    view.mkdir()
    bound = subprocess.run(
        ["mount", "--bind", str(store), str(view)], capture_output=True, text=True, check=False
    )
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({bound.stderr.strip()}): read-only test skipped")
    try:
        remount = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(view)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert remount.returncode == 0, remount.stderr
        ro_url = f"sqlite:///{view}/roster.db"
        # Seed a person while writable, then serve from the read-only view.
        rw = RosterProcess(url, tmp_path / "rw.log")
        rw.start()
        person = httpx.post(
            f"{rw.scim_url}/Users",
            json={"userName": "before@example.com"},
            headers=tenant.headers(),
            timeout=60,
        ).json()
        # Killed, as when the disk failed under it: the WAL and its index stay behind.
        rw.kill9()
        server = RosterProcess(ro_url, tmp_path / "server.log")
        server.start(ready="/healthz")
        try:
            with httpx.Client(base_url=server.scim_url, headers=tenant.headers(), timeout=60) as c:
                wrote = c.post("/Users", json={"userName": "after@example.com"})
                assert wrote.status_code == 503, wrote.text
                assert wrote.headers["Retry-After"].isdigit()
                patched = c.patch(
                    f"/Users/{person['id']}",
                    json={
                        "schemas": [PATCH_OP],
                        "Operations": [{"op": "replace", "path": "title", "value": "T"}],
                    },
                )
                assert patched.status_code == 503, patched.text
                read = c.get(f"/Users/{person['id']}")
                assert read.status_code in (200, 503), read.text
        finally:
            server.stop()
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)
    db = sqlite3.connect(f"{store}/roster.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = {r[0] for r in db.execute("SELECT user_name FROM people")}
    finally:
        db.close()
    assert names == {"before@example.com"}
    # Stopped cleanly (no WAL left), a WAL database cannot be opened read-only at all:
    # `roster serve` refuses to start, with one line that says why.
    clean = subprocess.run(
        ["mount", "--bind", str(store), str(view)], capture_output=True, text=True, check=False
    )
    assert clean.returncode == 0, clean.stderr
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        refused = subprocess.run(
            [sys.executable, "-m", "roster", "db", "upgrade"],
            env={**os.environ, "ROSTER_DATABASE_URL": ro_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert refused.returncode != 0
        assert "cannot reach the database" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)
    # Writable again: the same database takes writes.
    again = RosterProcess(url, tmp_path / "again.log")
    again.start()
    try:
        r = httpx.post(
            f"{again.scim_url}/Users",
            json={"userName": "after@example.com"},
            headers=tenant.headers(),
            timeout=60,
        )
        assert r.status_code == 201, r.text
    finally:
        again.stop()
