"""Group membership at scale: one member added or removed in a 10-member group vs a
100,000-member group, and a Push Now (replace) of 100,000 members, against a real
`roster serve` on SQLite and PostgreSQL. Writes bench/results/group_scale.md.

    .venv/bin/python bench/group_scale.py [--members 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tables import people
from roster.store.types import utcnow

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "roster"), *args], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


async def insert_people(url: str, subdomain: str, count: int) -> list[str]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            tenant = await tenant_store.tenant_by_subdomain(conn, subdomain)
        assert tenant is not None
        ids = [new_id() for _ in range(count)]
        now = utcnow()
        async with db.write() as conn:
            first = await tenant_store.allocate_person_numbers(conn, tenant.id, count)
            batch: list[dict[str, Any]] = []
            for i, pid in enumerate(ids):
                email = f"user{i}@bench.example"
                batch.append(
                    {
                        "tenant_id": tenant.id,
                        "id": pid,
                        "number": first + i,
                        "user_name": email,
                        "user_name_lower": email,
                        "email": email,
                        "email_lower": email,
                        "emails": [{"value": email, "primary": True}],
                        "phone_numbers": [],
                        "custom": {},
                        "active": True,
                        "source": "scim",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                if len(batch) == 5000:
                    await conn.execute(sa.insert(people), batch)
                    batch = []
            if batch:
                await conn.execute(sa.insert(people), batch)
        if db.dialect == "postgresql":
            async with db.engine.connect() as conn:  # as autovacuum would, soon after
                await conn.execute(sa.text("ANALYZE people"))
                await conn.commit()
        return ids
    finally:
        await db.dispose()


async def analyze(url: str) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            await conn.execute(sa.text("ANALYZE group_members"))
            await conn.commit()
    finally:
        await db.dispose()


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run_backend(name: str, url: str, members: int, rounds: int) -> dict[str, float]:
    env = {**os.environ, "ROSTER_DATABASE_URL": url, "ROSTER_LOG_LEVEL": "WARNING"}
    sub = f"bench-{secrets.token_hex(3)}"
    cli(env, "db", "upgrade")
    cli(env, "tenant", "create", sub)
    cli(env, "scim", "enable", sub)
    token = cli(env, "scim", "token", "create", sub)
    ids = asyncio.run(insert_people(url, sub, members + 1))
    port = free_port()
    log = (ROOT / "bench" / "results" / f"server-{name}.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "roster"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}/scim/v2",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/scim+json; charset=utf-8",
            },
            timeout=120,
        )
        for _ in range(100):
            try:
                client.get("/ServiceProviderConfig")
                break
            except httpx.TransportError:
                time.sleep(0.1)

        def group(label: str) -> str:
            r = client.post("/Groups", json={"displayName": label, "members": []})
            r.raise_for_status()
            return str(r.json()["id"])

        def ops(gid: str, *operations: dict[str, Any]) -> None:
            r = client.patch(
                f"/Groups/{gid}", json={"schemas": [PATCH], "Operations": list(operations)}
            )
            r.raise_for_status()

        small, big = group("small"), group("big")
        ops(small, {"op": "replace", "path": "members", "value": [{"value": i} for i in ids[:10]]})
        replace_seconds = timed(
            lambda: ops(
                big,
                {
                    "op": "replace",
                    "path": "members",
                    "value": [{"value": i} for i in ids[:members]],
                },
            )
        )
        extra = ids[members]
        if url.startswith("postgresql"):
            # Autovacuum analyzes a table within a minute of 100,000 new rows; do it now
            # so the steady state is measured, not the first minute after the push.
            asyncio.run(analyze(url))

        def one_change(gid: str) -> float:
            add = timed(
                lambda: ops(
                    gid,
                    {"op": "replace", "value": {"id": gid, "displayName": "x"}},
                    {"op": "add", "path": "members", "value": [{"value": extra}]},
                )
            )
            remove = timed(
                lambda: ops(gid, {"op": "remove", "path": f'members[value eq "{extra}"]'})
            )
            return (add + remove) / 2

        small_times = [one_change(small) for _ in range(rounds)]
        big_times = [one_change(big) for _ in range(rounds)]
        excluded = timed(lambda: client.get("/Groups", params={"excludedAttributes": "members"}))
        return {
            "replace_s": replace_seconds,
            "small_ms": statistics.median(small_times) * 1000,
            "big_ms": statistics.median(big_times) * 1000,
            "list_excluded_ms": excluded * 1000,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--postgres", default=os.environ.get("ROSTER_BENCH_POSTGRES_URL", ""))
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.skip_sqlite:
            pass
        else:
            results["SQLite"] = run_backend(
                "sqlite", f"sqlite:///{tmp}/bench.db", args.members, args.rounds
            )
    if args.postgres:
        import asyncpg

        dbname = f"roster_bench_{secrets.token_hex(4)}"

        async def admin(sql: str) -> None:
            conn = await asyncpg.connect(args.postgres)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'CREATE DATABASE "{dbname}"'))
        try:
            url = args.postgres.rsplit("/", 1)[0] + "/" + dbname
            results["PostgreSQL"] = run_backend("postgres", url, args.members, args.rounds)
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
    lines = [
        "# Group membership at scale",
        "",
        f"One worker, loopback, {args.members:,} members; medians of {args.rounds} rounds. "
        "A 'change' is Okta's PATCH: the rename it always sends plus one member added, "
        "then one removed by `members[value eq ...]`. On PostgreSQL the member table is "
        "analyzed after the big push, as autovacuum does within a minute.",
        "",
        "| database | Push Now replace of all members (s) | one change, 10-member group (ms) "
        f"| one change, {args.members:,}-member group (ms) | ratio big/small "
        "| GET /Groups?excludedAttributes=members (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['replace_s']:.2f} | {r['small_ms']:.2f} | {r['big_ms']:.2f} | "
            f"{r['big_ms'] / r['small_ms']:.2f} | {r['list_excluded_ms']:.2f} |"
        )
    out = ROOT / "bench" / "results" / "group_scale.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    sys.exit(0)


if __name__ == "__main__":
    main()
