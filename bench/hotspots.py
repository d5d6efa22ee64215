"""Where Roster's time goes: py-spy samples one `roster serve` worker (PostgreSQL) while
wrk replays one Okta operation, and the samples are sorted into layers. Also: the same
GET and lookup with the default connection pool (10) and with 20, because 16
concurrent requests overflow a pool of 10 and every overflow connection is opened
and closed again.

    .venv/bin/python bench/hotspots.py        (writes bench/results/profile.json)
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from typing import Any

import systems
from common import BENCH, BIN, RAW, drop_database, log, pg_counters, run_wrk

# Sorted from the leaf up: the first frame whose file matches names the layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("password hashing (argon2)", ("argon2/",)),
    ("database driver (asyncpg)", ("asyncpg/",)),
    ("database driver (aiosqlite/sqlite3)", ("aiosqlite/", "sqlite3/")),
    ("SQLAlchemy (build, compile, cache keys, results)", ("sqlalchemy/",)),
    ("greenlet bridge", ("greenlet/",)),
    ("logging (structlog)", ("structlog/", "logging/", "roster/logging.py")),
    ("metrics (prometheus_client)", ("prometheus_client/",)),
    ("JSON (orjson/json)", ("orjson", "json/")),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("Roster: SCIM parse/render (scim/)", ("roster/scim/",)),
    ("Roster: directory rules (directory/)", ("roster/directory/",)),
    ("Roster: store (store/)", ("roster/store/",)),
    ("Roster: middleware", ("roster/middleware.py", "roster/ratelimit.py")),
    ("FastAPI/Starlette", ("fastapi/", "starlette/")),
    ("uvicorn/httptools", ("uvicorn/", "httptools/")),
    ("event loop (asyncio/uvloop)", ("asyncio/", "uvloop/")),
]
OPS = ("get", "lookup", "import", "put", "deactivate", "create_nopw", "member")
POOL_OPS = ("get", "lookup", "put", "deactivate", "create_nopw", "member")


def file_of(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"
    start = frame.rfind("(")
    return frame[start + 1 :] if start >= 0 else frame


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        where = file_of(frame)
        for name, needles in LAYERS:
            if any(n in where for n in needles):
                return name
    return "other"


def aggregate(path: str) -> dict[str, Any]:
    layers: collections.Counter[str] = collections.Counter()
    roster_inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            layers[layer_of(frames)] += n
            for frame in {f for f in frames if "roster/" in f and "roster/cli/" not in f}:
                name = frame.split(" (")[0] + " (" + file_of(frame).split("roster/")[-1]
                roster_inclusive[name.rsplit(":", 1)[0] + ")"] += n
    return {
        "samples": total,
        "layers": {k: v / total for k, v in layers.most_common()} if total else {},
        "roster_inclusive": {k: v / total for k, v in roster_inclusive.most_common(14)}
        if total
        else {},
    }


def warm(target: systems.Target) -> None:
    """Fill both of Roster's pools (autocommit reads, writes) before measuring."""
    assert target.datafile is not None
    for op in ("get", "put"):
        run_wrk(
            target.url,
            op,
            target.datafile,
            connections=16,
            seconds=1,
            max_requests=2000,
            tag="warm",
        )


def profile_ops(seconds: float, ops: tuple[str, ...]) -> dict[str, Any]:
    name, url = systems.postgres_database()
    out: dict[str, Any] = {}
    try:
        target = systems.roster(url, "postgresql", 1, 2000, 1000)
        try:
            warm(target)
            for op in ops:
                raw = RAW / f"profile-{op}.txt"
                # --gil: only samples that hold the GIL, so the time uvloop waits in
                # epoll (it releases the GIL) is not counted as work.
                spy = subprocess.Popen(
                    [
                        str(BIN / "py-spy"),
                        "record",
                        "--gil",
                        "-p",
                        str(target.server.pid),
                        "-r",
                        "200",
                        "-d",
                        str(int(seconds) + 1),
                        "-f",
                        "raw",
                        "-o",
                        str(raw),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(0.5)
                cpu0 = target.server.cpu()
                r = run_wrk(
                    target.url,
                    op,
                    target.datafile,
                    connections=16,  # type: ignore[arg-type]
                    seconds=seconds,
                    max_requests=100_000,
                    tag=f"p{op}",
                    style="okta",
                )
                cpu = (target.server.cpu() - cpu0) / max(1, r["requests"]) * 1000
                spy.wait(timeout=seconds + 30)
                agg = aggregate(str(raw)) if raw.exists() else {"samples": 0}
                agg.update(rps=r["rps"], server_cpu_ms=cpu)
                out[op] = agg
                top = ", ".join(f"{k} {v:.0%}" for k, v in list(agg.get("layers", {}).items())[:4])
                log(f"  profile {op}: {r['rps']:.0f} req/s, {cpu:.2f} ms CPU/req; {top}")
        finally:
            target.stop()
    finally:
        drop_database(name)
    return out


def pool_sizes(seconds: float, ops: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pool in (10, 20):
        os.environ["ROSTER_DATABASE_POOL_SIZE"] = str(pool)
        name, url = systems.postgres_database()
        try:
            target = systems.roster(url, "postgresql", 1, 2000, 1000)
            try:
                warm(target)
                for op in ops:
                    _, sessions0 = pg_counters(name)
                    cpu0 = target.server.cpu()
                    r = run_wrk(
                        target.url,
                        op,
                        target.datafile,
                        connections=16,  # type: ignore[arg-type]
                        seconds=seconds,
                        max_requests=100_000,
                        tag="pool",
                    )
                    n = max(1, r["requests"])
                    _, sessions1 = pg_counters(name)
                    out[f"{op}@{pool}"] = {
                        "pool_size": pool,
                        "op": op,
                        "rps": r["rps"],
                        "p50_ms": r["p50_us"] / 1000,
                        "server_cpu_ms": (target.server.cpu() - cpu0) / n * 1000,
                        "connections_opened_per_1000_requests": (sessions1 - sessions0) / n * 1000,
                    }
                    log(
                        f"  pool {pool} {op}: {r['rps']:.0f} req/s, "
                        f"{out[f'{op}@{pool}']['connections_opened_per_1000_requests']:.0f} "
                        "connections opened per 1,000 requests"
                    )
            finally:
                target.stop()
        finally:
            drop_database(name)
            os.environ.pop("ROSTER_DATABASE_POOL_SIZE", None)
    return out


def run(seconds: float = 4, full: bool = True) -> dict[str, Any]:
    log("profiling Roster (PostgreSQL, 1 worker) with py-spy")
    ops = OPS if full else ("get", "lookup", "import", "deactivate", "member")
    pool_ops = POOL_OPS if full else ("get", "deactivate")
    result = {"ops": profile_ops(seconds, ops), "pool": pool_sizes(seconds, pool_ops)}
    (BENCH / "results" / "profile.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    run(float(sys.argv[1]) if len(sys.argv) > 1 else 4)
