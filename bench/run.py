"""`make bench`: Okta's request mix against Roster, the peers and the ceilings, side by
side in one run; then the enterprise-scale checks; then bench/results/REPORT.md and
the charts.

    .venv/bin/python bench/run.py            # quick mode (a few minutes)
    .venv/bin/python bench/run.py --full     # longer runs, 1,000,000 people on SQLite too
    .venv/bin/python bench/run.py --versus 0e7638a --rounds 4   # old code against new

Every load is a separate wrk process on loopback, bounded in requests and seconds.
--versus REV adds, for every Roster target, a twin running REV's code and measures the
two alternately (bench/versus.py); it writes bench/results/versus.md. --only and --ops
narrow a run to some systems and operations.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import platform
import re
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

import hotspots
import report
import scale
import systems
import versus
from common import (
    BENCH,
    PG_ADMIN,
    RAW,
    create_database,
    drop_database,
    log,
    pg_backends,
    pg_counters,
    pg_cpu_delta,
    pg_url,
    run_wrk,
)

OPS: list[tuple[str, str]] = [
    ("get", "GET /Users/{id}"),
    ("lookup", "userName lookup"),
    ("import", "import page, count=100"),
    ("put", "PUT /Users/{id}"),
    ("deactivate", "PATCH deactivate/reactivate"),
    ("create", "POST /Users, Okta's body (with password)"),
    ("create_nopw", "POST /Users, no password"),
    ("group_create", "POST /Groups"),
    ("member", "one member add/remove, 1,000-member group"),
    ("push", "Push Now: replace 1,000 members"),
]
READS = ("get", "lookup", "import")


def measure(target: systems.Target, op: str, cfg: dict[str, Any]) -> dict[str, Any]:
    if op in target.unsupported:
        return {"unsupported": target.unsupported[op]}
    assert target.datafile is not None
    server_before = target.server.cpu()
    db_before = pg_backends(target.database) if target.database else {}
    counters_before = pg_counters(target.database) if target.database else (0, 0)
    result = run_wrk(
        target.url,
        op,
        target.datafile,
        connections=cfg["connections"],
        seconds=cfg["seconds"],
        max_requests=cfg["max_requests"],
        tag=secrets.token_hex(3),
        style=target.style,
    )
    server_cpu = target.server.cpu() - server_before
    db_cpu = pg_cpu_delta(db_before, pg_backends(target.database)) if target.database else 0.0
    n = max(1, result["requests"])
    if target.database:
        # Statistics reach pg_stat_database within a second; close enough over a run.
        xacts, sessions = pg_counters(target.database)
        result["xacts_per_request"] = (xacts - counters_before[0]) / n
        result["new_connections"] = sessions - counters_before[1]
    result["server_cpu_ms"] = server_cpu / n * 1000
    result["db_cpu_ms"] = db_cpu / n * 1000
    result["wrk_cpu_ms"] = result["wrk_cpu_s"] / n * 1000
    errors = result["status_errors"] + result["timeouts"] + result["read_errors"]
    log(
        f"  {target.name:28} {op:13} {result['rps']:9.1f} req/s"
        f"  p50 {result['p50_us'] / 1000:7.2f} ms"
        f"  p99 {result['p99_us'] / 1000:8.2f} ms  cpu {result['server_cpu_ms']:.2f}+"
        f"{result['db_cpu_ms']:.2f} ms/req" + (f"  ERRORS {errors}" if errors else "")
    )
    return result


def pgbench(seconds: int, connections: int) -> dict[str, Any]:
    """PostgreSQL's own point-read limit on this machine: pgbench -S (select-only)."""
    name = create_database("bench_pgbench")
    try:
        subprocess.run(
            ["pgbench", "-i", "-q", "-s", "10", pg_url(name)], capture_output=True, check=True
        )
        out = subprocess.run(
            [
                "pgbench",
                "-S",
                "-n",
                f"-c{connections}",
                "-j1",
                f"-T{seconds}",
                pg_url(name),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        drop_database(name)
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))  # type: ignore[union-attr]
    log(f"  pgbench -S -c{connections}: {tps:,.0f} tps, latency average {latency:.2f} ms")
    return {"tps": tps, "latency_ms": latency, "connections": connections, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="longer runs and bigger scales")
    parser.add_argument("--seconds", type=float, help="seconds per operation and system")
    parser.add_argument("--only", default="", help="comma-separated system names (debugging)")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-matrix", action="store_true")
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument("--skip-group-scale", action="store_true")
    parser.add_argument("--ops", default="", help="comma-separated operations (default: all)")
    parser.add_argument("--versus", metavar="REV", help="also run REV's code (bench/versus.py)")
    parser.add_argument("--rounds", type=int, default=4, help="old/new rounds with --versus")
    args = parser.parse_args()
    # A SIGTERM (kill, pkill) unwinds like an error: servers stopped, throw-away
    # databases dropped, the --versus worktree removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench/run.py: terminated"))
    unknown = {o for o in args.ops.split(",") if o} - dict(OPS).keys()
    if unknown:
        parser.error(f"unknown operations {sorted(unknown)}; known: {', '.join(dict(OPS))}")
    started = time.time()
    cfg: dict[str, Any] = {
        "mode": "full" if args.full else "quick",
        "seconds": args.seconds or (15 if args.full else 3),
        "max_requests": 500_000 if args.full else 60_000,
        "connections": 16,
        "people": 2000,
        "group_size": 1000,
    }
    RAW.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "config": cfg,
        "machine": {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
            ).stdout.strip(),
            "dirty_src": bool(
                subprocess.run(
                    ["git", "status", "--porcelain", "src"],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.strip()
            ),
            "load_average_at_start": list(__import__("os").getloadavg()),
        },
        "ops": {op: title for op, title in OPS if not args.ops or op in args.ops.split(",")},
        "systems": {},
        "matrix": {},
    }
    only = {s for s in args.only.split(",") if s}
    with contextlib.ExitStack() as stack:
        old = stack.enter_context(versus.checkout(args.versus)) if args.versus else None
        if old:
            versus.check_migrations(old)
            results["versus"] = versus.begin(old, args.rounds)
        if not args.skip_matrix:
            run_matrix(cfg, results, only, old)
    if not args.skip_scale:
        results["scale"] = scale.run_all(full=args.full)
    if not args.skip_group_scale:
        log("group membership at scale (bench/group_scale.py)")
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "group_scale.py"),
                "--postgres",
                PG_ADMIN,
                "--rounds",
                "30" if args.full else "10",
            ],
            check=True,
        )
    if not args.skip_profile:
        hotspots.run(8 if args.full else 3, full=args.full)
    results["elapsed_s"] = time.time() - started
    if "versus" in results:
        versus.finish(results)
    out = BENCH / "results" / "results.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    report.write(results)
    log(f"done in {results['elapsed_s'] / 60:.1f} min: bench/results/REPORT.md")


def roster_starters(
    cfg: dict[str, Any], old: versus.Checkout | None = None
) -> tuple[list[tuple[str, Any]], str]:
    """The four Roster targets on one SQLite file and one PostgreSQL database (which
    this returns, to drop); with `old`, the same four running old's code on their own."""
    people, size = cfg["people"], cfg["group_size"]
    sqlite_dir = RAW / "sqlite"
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    sqlite = f"sqlite:///{sqlite_dir}/bench-{secrets.token_hex(3)}.db"
    pg_name, pg = systems.postgres_database()
    kw: dict[str, Any] = {"src": old.src, "suffix": old.suffix} if old else {}
    return [
        (
            f"roster-{backend}-{workers}w",
            lambda url=url, backend=backend, workers=workers: systems.roster(
                url, backend, workers, people, size, **kw
            ),
        )
        for backend, url in (("sqlite", sqlite), ("postgresql", pg))
        for workers in (1, 2)
    ], pg_name


def warm(t: systems.Target, cfg: dict[str, Any]) -> None:
    """Connection pools, statement caches, first-call imports."""
    run_wrk(
        t.url,
        "get",
        t.datafile,  # type: ignore[arg-type]
        connections=cfg["connections"],
        seconds=1,
        max_requests=2000,
        tag="warm",
    )


def run_matrix(
    cfg: dict[str, Any], results: dict[str, Any], only: set[str], old: versus.Checkout | None
) -> None:
    people, size = cfg["people"], cfg["group_size"]
    targets: list[systems.Target] = []
    starters, pg_name = roster_starters(cfg)
    databases = [pg_name]
    twins: dict[str, Any] = {}
    if old:
        twin_starters, twin_pg = roster_starters(cfg, old)
        twins, databases = dict(twin_starters), [pg_name, twin_pg]
    starters += [
        ("django-scim2", lambda: systems.django_scim2(people, size)),
        ("scim2-server", lambda: systems.scim2_server(people, size)),
        ("bare-uvicorn-1w", lambda: systems.ceiling(1, people)),
        ("bare-uvicorn-2w", lambda: systems.ceiling(2, people)),
    ]
    try:
        # With --versus, each Roster target and its twin run first, a pair at a time
        # (bench/versus.py); the other systems follow as usual.
        for name, start in starters:
            if old and name in twins and (not only or name in only):
                versus.run_pair(
                    {"new": start, "old": twins[name]},
                    old,
                    results,
                    functools.partial(measure, cfg=cfg),
                    functools.partial(warm, cfg=cfg),
                )
        for name, start in starters:
            if (only and name not in only) or name in twins:
                continue
            targets.append(start())
        for t in targets:
            results["systems"][t.name] = systems.describe(t)
            results["matrix"][t.name] = {}
            warm(t, cfg)
        # Operation-major order: every system runs an operation within the same minute,
        # so machine noise hits them alike.
        for op, title in results["ops"].items() if targets else ():
            log(f"{op}: {title}")
            for t in targets:
                if t.kind == "ceiling" and op != "get":
                    continue
                results["matrix"][t.name][op] = measure(t, op, cfg)
            sys.stdout.flush()
        results["pgbench"] = pgbench(int(cfg["seconds"]) + 1, cfg["connections"])
        for t in targets:
            results["systems"][t.name]["idle_rss_mb"] = t.server.rss_mb()
    finally:
        for t in targets:
            t.stop()
        for name in databases:
            drop_database(name)


if __name__ == "__main__":
    main()
