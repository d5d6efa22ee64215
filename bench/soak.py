"""Soak: a steady mixed Okta load against a real `roster serve` for 30 minutes (not in
CI; docs/reliability.md). At the end every acknowledged change must be present, no
request may have failed, and the server's memory must be flat.

    .venv/bin/python bench/soak.py                      # 30 min, SQLite, 2 workers
    .venv/bin/python bench/soak.py --postgres postgresql://postgres@127.0.0.1:5432/soak
    .venv/bin/python bench/soak.py --minutes 2           # a quick look

The mix is Okta's (shared/reference/idp-okta-and-15five.md): look a person up by
userName, create, replace with a full PUT, deactivate with a path-less PATCH, push
groups (create, add and remove members, rename), and import pages.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.procserver import RosterProcess, provision  # noqa: E402

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class Model:
    """What Roster has acknowledged: the state it must end in."""

    people: dict[str, dict[str, object]] = field(default_factory=dict)  # id -> fields
    groups: dict[str, dict[str, object]] = field(default_factory=dict)  # id -> name, members
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    serial: int = 0


async def okta(client: httpx.AsyncClient, model: Model, rnd: random.Random) -> None:
    """One step of Okta's mix."""
    roll = rnd.random()
    model.serial += 1
    n = model.serial

    def ok(r: httpx.Response, *codes: int) -> bool:
        model.statuses[r.status_code] += 1
        if r.status_code not in codes:
            model.failures.append(f"{r.request.method} {r.request.url.path} -> {r.status_code}")
            return False
        return True

    if roll < 0.25 or not model.people:
        name = f"soak{n}@example.com"
        r = await client.get("/Users", params={"filter": f'userName eq "{name}"'})
        if ok(r, 200) and r.json()["totalResults"] == 0:
            r = await client.post(
                "/Users",
                json={
                    "userName": name,
                    "name": {"givenName": "Soak", "familyName": str(n)},
                    "emails": [{"value": name, "type": "work", "primary": True}],
                    "active": True,
                    "title": "new",
                },
            )
            if ok(r, 201):
                model.people[r.json()["id"]] = {"userName": name, "title": "new", "active": True}
        return
    pid = rnd.choice(list(model.people))
    person = model.people[pid]
    if roll < 0.45:
        title = f"title {n}"
        r = await client.put(
            f"/Users/{pid}",
            json={
                "userName": person["userName"],
                "name": {"givenName": "Soak", "familyName": "x"},
                "emails": [{"value": person["userName"], "type": "work", "primary": True}],
                "active": person["active"],
                "title": title,
            },
        )
        if ok(r, 200):
            person["title"] = title
    elif roll < 0.55:
        active = not person["active"]
        r = await client.patch(
            f"/Users/{pid}",
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "value": {"active": active}}],
            },
        )
        if ok(r, 200):
            person["active"] = active
    elif roll < 0.65 or not model.groups:
        r = await client.post("/Groups", json={"displayName": f"Soak group {n}", "members": []})
        if ok(r, 201):
            model.groups[r.json()["id"]] = {"displayName": f"Soak group {n}", "members": set()}
    elif roll < 0.85:
        gid = rnd.choice(list(model.groups))
        group = model.groups[gid]
        members: set[str] = group["members"]  # type: ignore[assignment]
        if members and rnd.random() < 0.3:
            gone = rnd.choice(sorted(members))
            op = {"op": "remove", "path": f'members[value eq "{gone}"]'}
            r = await client.patch(f"/Groups/{gid}", json={"schemas": [PATCH], "Operations": [op]})
            if ok(r, 204):
                members.discard(gone)
        else:
            op = {"op": "add", "path": "members", "value": [{"value": pid}]}
            r = await client.patch(f"/Groups/{gid}", json={"schemas": [PATCH], "Operations": [op]})
            if ok(r, 204):
                members.add(pid)
    elif roll < 0.9:
        gid = rnd.choice(list(model.groups))
        name = f"Soak group {gid[:8]} {n}"
        ops = [{"op": "replace", "value": {"id": gid, "displayName": name}}]
        r = await client.patch(f"/Groups/{gid}", json={"schemas": [PATCH], "Operations": ops})
        if ok(r, 204):
            model.groups[gid]["displayName"] = name
    else:
        r = await client.get("/Users", params={"startIndex": rnd.randint(1, 50), "count": 100})
        ok(r, 200)


async def verify(client: httpx.AsyncClient, model: Model) -> list[str]:
    missing = []
    for pid, want in model.people.items():
        got = (await client.get(f"/Users/{pid}")).json()
        for key, value in want.items():
            if got.get(key) != value:
                missing.append(f"user {pid} {key}: {got.get(key)!r} != {value!r}")
    for gid, want in model.groups.items():
        got = (await client.get(f"/Groups/{gid}")).json()
        if got.get("displayName") != want["displayName"]:
            missing.append(f"group {gid} displayName")
        if {m["value"] for m in got.get("members", [])} != want["members"]:
            missing.append(f"group {gid} members")
    return missing


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (the workers)."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().split()
            if int(proc.name) == pid or int(stat[3]) == pid:
                status = (proc / "status").read_text()
                total += int(
                    next(ln for ln in status.splitlines() if ln.startswith("VmRSS")).split()[1]
                )
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return total


async def soak(server: RosterProcess, token: str, minutes: float, concurrency: int) -> int:
    model = Model()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    deadline = time.monotonic() + minutes * 60
    memory: list[int] = []
    assert server.proc is not None

    async def loop(seed: int) -> None:
        rnd = random.Random(seed)
        async with httpx.AsyncClient(base_url=server.scim_url, headers=headers, timeout=60) as c:
            while time.monotonic() < deadline:
                try:
                    await okta(c, model, rnd)
                except httpx.TransportError as exc:
                    model.failures.append(f"transport: {exc!r}")

    async def sample() -> None:
        while time.monotonic() < deadline:
            memory.append(rss_kib(server.proc.pid))  # type: ignore[union-attr]
            await asyncio.sleep(10)

    started = time.monotonic()
    await asyncio.gather(sample(), *(loop(i) for i in range(concurrency)))
    elapsed = time.monotonic() - started
    async with httpx.AsyncClient(base_url=server.scim_url, headers=headers, timeout=60) as c:
        missing = await verify(c, model)
    requests = sum(model.statuses.values())
    tenth = max(1, len(memory) // 10)
    early, late = memory[tenth : 2 * tenth] or memory[:1], memory[-tenth:]
    growth = (sum(late) / len(late)) / (sum(early) / len(early)) - 1 if memory else 0.0
    print(f"requests: {requests} in {elapsed:.0f} s ({requests / elapsed:.0f}/s)")
    print(f"statuses: {dict(sorted(model.statuses.items()))}")
    print(f"people: {len(model.people)}, groups: {len(model.groups)}")
    print(f"failed requests: {len(model.failures)} {model.failures[:5]}")
    print(f"acknowledged changes missing: {len(missing)} {missing[:5]}")
    print(
        f"memory (RSS, KiB) first/last tenth: {early[-1] if early else 0} / "
        f"{late[-1] if late else 0} ({growth:+.1%})"
    )
    return 1 if model.failures or missing or growth > 0.25 else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL database URL (default: SQLite)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="Okta's connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/roster.db"
        # Okta's steady load is below the rate limits; the soak measures Roster, not them.
        (tenant,) = provision(url)
        server = RosterProcess(url, Path(tmp) / "server.log", workers=args.workers)
        server.start()
        try:
            return asyncio.run(soak(server, tenant.token, args.minutes, args.concurrency))
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
