"""Roster as a new user gets it, against the peers, in one run.

    .venv/bin/python bench/as_users_get_it.py [--versus REV] [--rounds 3] [--seconds 5]

Each Roster is what README's two commands give: a database nobody has touched (a new
PostgreSQL database with this machine's autovacuum off, or a new SQLite file),
`roster db upgrade`, `roster tenant create`, `roster scim enable`, `roster scim token
create` run as commands, then `roster serve` (`make run`'s command and settings, the
per-token and per-company rate limits aside, as in bench/run.py). Its 2,000 people
and two 1,000-member groups are created over SCIM with Okta's bodies, like the
peers'. Nothing runs ANALYZE but Roster itself.

With --versus REV, REV's code is measured the same way beside it: its own checkout
(a throw-away git worktree), its own `roster db upgrade` (its own migrations), its
own fresh database. The operations then run round after round, every system once per
round in alternating order, and the medians are reported. Last, each PostgreSQL
Roster's database is analyzed by hand and its reads measured again ("analyzed"): a
Roster whose speed depends on statistics shows it there.

Writes bench/results/as-users-get-it.md and bench/results/raw/as-users-get-it.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import run as bench
import systems
import versus
from common import (
    BENCH,
    BIN,
    RAW,
    Server,
    create_database,
    drop_database,
    free_port,
    log,
    pg_url,
    psql,
)

OPS = ("get", "lookup", "import", "put", "deactivate", "create", "member")
READS = ("get", "lookup", "import")


def roster_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "python"), "-m", "roster", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def fresh_roster(
    backend: str,
    src: Path | None,
    label: str,
    *,
    extra_env: dict[str, str] | None = None,
    subdomain: str | None = None,
) -> systems.Target:
    """A Roster on a database made for it, set up with the commands README gives.
    `extra_env` is added to the environment of the commands and the server; `subdomain`
    names the company (a random acme-… otherwise)."""
    if backend == "postgresql":
        dbname = create_database("bench_users")
        url = pg_url(dbname)
    else:
        dbname = None
        folder = RAW / "sqlite"
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder}/users-{secrets.token_hex(3)}.db"
    env = systems.roster_env(url, src)
    env["ROSTER_SECRET_KEY"] = secrets.token_urlsafe(32)
    env.update(extra_env or {})
    sub = subdomain or f"acme-{secrets.token_hex(3)}"
    roster_cli(env, "db", "upgrade")
    roster_cli(env, "tenant", "create", sub, "--name", "Acme")
    roster_cli(env, "scim", "enable", sub)
    token = roster_cli(env, "scim", "token", "create", sub, "--label", "Okta").splitlines()[-1]
    port = free_port()
    name = f"roster-{backend}{'-' + label if label else ''}"
    server = Server(name, [str(BIN / "roster"), "serve", "--port", str(port)], env, port).start()
    title = f"Roster{' ' + label if label else ''}, {backend}, 1 worker"
    target = systems.Target(name, title, "roster", server, "/scim/v2", token, dbname)
    if dbname:
        target.cleanup.append(lambda: drop_database(dbname))
    return systems.seed(target, 2000, 1000)


def analyze(target: systems.Target) -> None:
    assert target.database is not None
    psql("ANALYZE", db=target.database)


def median_of(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = ("rps", "p50_us", "p99_us", "server_cpu_ms", "db_cpu_ms")
    out = {k: statistics.median(r[k] for r in runs) for k in keys}
    out["errors"] = sum(r["status_errors"] + r["timeouts"] + r["read_errors"] for r in runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versus", metavar="REV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--ops", default=",".join(OPS))
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    ops = [o for o in args.ops.split(",") if o]
    cfg = {"seconds": args.seconds, "max_requests": 500_000, "connections": 16}
    results: dict[str, Any] = {"config": {**cfg, "rounds": args.rounds, "ops": ops}}
    results["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    started = time.time()
    with contextlib.ExitStack() as stack:
        old = stack.enter_context(versus.checkout(args.versus)) if args.versus else None
        targets: list[systems.Target] = []
        stack.callback(lambda: [t.stop() for t in targets])
        for backend in ("postgresql", "sqlite"):
            targets.append(fresh_roster(backend, None, ""))
            if old:
                targets.append(fresh_roster(backend, old.src, f"old {old.short}"))
        if not args.no_peers:
            targets.append(systems.scim2_server(2000, 1000))
            targets.append(systems.django_scim2(2000, 1000))
        results["systems"] = {t.name: t.label for t in targets}
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {t.name: {} for t in targets}
        for t in targets:
            bench.warm(t, {**cfg, "seconds": 1})
        for round_ in range(args.rounds):
            order = targets if round_ % 2 == 0 else targets[::-1]
            for op in ops:
                log(f"round {round_ + 1}/{args.rounds}: {op}")
                for t in order:
                    runs[t.name].setdefault(op, []).append(bench.measure(t, op, cfg))
        results["never_analyzed"] = {
            name: {op: median_of(r) for op, r in by_op.items() if "unsupported" not in r[0]}
            for name, by_op in runs.items()
        }
        analyzed: dict[str, dict[str, Any]] = {}
        for t in targets:
            if t.kind == "roster" and t.database:
                analyze(t)
                time.sleep(1)
                analyzed[t.name] = {
                    op: median_of([bench.measure(t, op, cfg) for _ in range(args.rounds)])
                    for op in READS
                    if op in ops
                }
        results["analyzed"] = analyzed
    results["elapsed_s"] = time.time() - started
    RAW.mkdir(parents=True, exist_ok=True)
    (RAW / "as-users-get-it.json").write_text(json.dumps(results, indent=1) + "\n")
    write_report(results)
    log(f"done in {results['elapsed_s'] / 60:.1f} min: bench/results/as-users-get-it.md")


def write_report(results: dict[str, Any]) -> None:
    never = results["never_analyzed"]
    systems_ = results["systems"]
    peers = [n for n in systems_ if not n.startswith("roster-")]
    ops = results["config"]["ops"]
    lines = [
        "# Roster as a new user gets it",
        "",
        f"`bench/as_users_get_it.py` at {results['commit']}: fresh databases, README's "
        "commands, `roster serve` with one worker, 2,000 people and two 1,000-member "
        "groups created over SCIM with Okta's bodies; wrk with 16 connections, "
        f"{results['config']['seconds']:g} s per operation and system, "
        f"{results['config']['rounds']} rounds in alternating order, medians. Nothing "
        "ran ANALYZE but Roster (PostgreSQL's autovacuum is off on this machine).",
        "",
        "Requests per second (server + database CPU per request, ms):",
        "",
        "| operation | " + " | ".join(systems_[n] for n in systems_) + " |",
        "|---|" + "---|" * len(systems_),
    ]
    for op in ops:
        cells = []
        for name in systems_:
            m = never.get(name, {}).get(op)
            cells.append(
                f"{m['rps']:,.0f} ({m['server_cpu_ms'] + m['db_cpu_ms']:.2f})"
                + (f" **{m['errors']} errors**" if m["errors"] else "")
                if m
                else "—"
            )
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    lines += ["", "Roster ÷ the best peer (requests per second):", ""]
    rosters = [n for n in systems_ if n.startswith("roster-")]
    lines += ["| operation | " + " | ".join(systems_[n] for n in rosters) + " |"]
    lines += ["|---|" + "---|" * len(rosters)]
    for op in ops:
        best = max((never[p][op]["rps"] for p in peers if op in never.get(p, {})), default=0)
        cells = [
            f"{never[n][op]['rps'] / best:.2f}×" if best and op in never.get(n, {}) else "—"
            for n in rosters
        ]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    if results["analyzed"]:
        lines += [
            "",
            "PostgreSQL reads before and after a manual `ANALYZE` (requests per second). "
            "The second column is measured after the write operations, which created more "
            "people where creates were faster; import pages are asked for by startIndex "
            "(OFFSET), so they cost more where there are more people: compare a system's "
            "two columns, not systems with each other.",
            "",
            "| system | operation | never analyzed by hand | after ANALYZE |",
            "|---|---|---|---|",
        ]
        for name, by_op in results["analyzed"].items():
            for op, m in by_op.items():
                lines.append(
                    f"| {systems_[name]} | {op} | {never[name][op]['rps']:,.0f} | {m['rps']:,.0f} |"
                )
    (BENCH / "results" / "as-users-get-it.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    os.chdir(BENCH.parent)
    main()
