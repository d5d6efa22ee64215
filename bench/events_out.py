"""Issue 15's measurement: the events outbox's cost on the write path, and the lag of
webhook deliveries under Okta's mix.

    .venv/bin/python bench/events_out.py [--rounds 3] [--seconds 5]

Per backend two Rosters as a new user gets them (as_users_get_it.fresh_roster): A with
one webhook endpoint (`roster webhook add`, after the seeding) at a receiver process on
127.0.0.1, B with none. Rounds of deactivate, create and put (bench/run.py's `measure`),
A B then B A. After each A run its deliveries settle; the receiver's log gives the lag
(arrival - `occurred_at`), the rate, duplicates (a `webhook-id` twice) and missing events
(in `GET /api/v1/events`, never received). Writes bench/results/events-out.md and
bench/results/raw/events-out.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import run as bench
import systems
from as_users_get_it import fresh_roster, roster_cli
from common import BENCH, RAW, Server, free_port, log, pg_backends, pg_cpu_delta

OPS = ("deactivate", "create", "put")
ALLOW = {"ROSTER_WEBHOOK_ALLOW_PRIVATE": "1"}
QUIET_S = 3.0  # deliveries have settled when nothing new arrived for this long
SETTLE_LIMIT_S = 600.0
BOUND = 0.90  # the issue: the outbox may cost at most 10 %
Record = tuple[str, float, float]  # webhook-id, arrival, occurred_at (unix seconds)


async def receive(port: int, out: TextIO) -> None:
    """The receiver (its own process): HTTP/1.1 with keep-alive, 200 to everything, a
    line per POST."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                fields = (line.partition(":") for line in head[1:] if line)
                headers = {k.strip().lower(): v.strip() for k, _, v in fields}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                arrived = time.time()
                if head[0].startswith("POST"):
                    occurred = json.loads(body)["occurred_at"]
                    out.write(f"{headers.get('webhook-id', '')}\t{arrived:.6f}\t{occurred}\n")
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
    async with server:
        await server.serve_forever()


def snapshot(t: systems.Target) -> tuple[float, dict[int, float]]:
    """CPU seconds so far: Roster's process, and each of its PostgreSQL backends."""
    return t.server.cpu(), pg_backends(t.database) if t.database else {}


def spent(since: tuple[float, dict[int, float]], until: tuple[float, dict[int, float]]) -> float:
    return until[0] - since[0] + pg_cpu_delta(since[1], until[1])


def pct(values: list[float], q: float) -> float:
    return values[round(q * (len(values) - 1))] if values else 0.0


@dataclass
class Watch:
    """Target A's endpoint seen from both ends: the events feed (what Roster wrote) and
    the receiver's log (what arrived). `seen`: every webhook-id received so far."""

    feed: httpx.Client
    log_path: Path
    rx: Server
    cursor: str = "0"
    pos: int = 0
    seen: set[str] = field(default_factory=set)

    def written(self) -> list[str]:
        """The ids of the events written since the last call."""
        ids: list[str] = []
        while True:
            r = self.feed.get("/api/v1/events", params={"after": self.cursor, "limit": 1000})
            page = r.raise_for_status().json()
            ids += [e["id"] for e in page["data"]]
            self.cursor = page["next"]
            if not page["has_more"]:
                return ids

    def arrived(self) -> list[Record]:
        """The receiver's lines since the last call."""
        with self.log_path.open("rb") as f:
            f.seek(self.pos)
            chunk = f.read()
        chunk = chunk[: chunk.rfind(b"\n") + 1]
        self.pos += len(chunk)
        rows = (line.split("\t") for line in chunk.decode().splitlines())
        return [(w, float(a), datetime.fromisoformat(o).timestamp()) for w, a, o in rows]

    def settle(self) -> tuple[list[Record], list[str], int]:
        """Wait until every event written since the last call has arrived, or nothing
        new has for QUIET_S: the arrivals, the events written, how many never came."""
        time.sleep(1.0)  # the requests wrk left in flight commit
        written: list[str] = []
        records: list[Record] = []
        got: set[str] = set()
        remaining: set[str] = set()
        quiet_since = time.monotonic()
        deadline = quiet_since + SETTLE_LIMIT_S
        while more := self.written():  # once more when every arrival is in
            written += more
            remaining |= set(more) - self.seen - got
            while remaining and time.monotonic() < deadline:
                new = self.arrived()
                records += new
                got.update(r[0] for r in new)
                remaining -= got
                if new:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= QUIET_S:
                    break
                time.sleep(0.2)
        time.sleep(0.5)
        records += self.arrived()  # stragglers (duplicates, say)
        return records, written, len(remaining - {r[0] for r in records})

    def measure(self, t: systems.Target, op: str, cfg: dict[str, Any]) -> tuple[Any, Any]:
        """bench/run.py's `measure` of A, then its deliveries once they have settled."""
        self.arrived()  # nothing should be left over; start from here
        before, rx0 = snapshot(t), self.rx.cpu()
        result = bench.measure(t, op, cfg)
        load_end, at_end = time.time(), snapshot(t)
        records, written, missing = self.settle()
        after = snapshot(t)
        cpu, drain_cpu = spent(before, after), spent(at_end, after)
        result["cpu_with_drain_ms"] = cpu / max(1, result["requests"]) * 1000
        duplicates = 0
        for wid, _, _ in records:
            duplicates += wid in self.seen
            self.seen.add(wid)
        lags = sorted(arrived - occurred for _, arrived, occurred in records)
        times = [arrived for _, arrived, _ in records] or [load_end]
        span = max(times) - min(times)
        after_load = sum(1 for x in times if x > load_end)
        d = {
            "written": len(written),
            "written_per_s": len(written) / (result["duration_us"] / 1e6),
            "received": len(records),
            "delivered_per_s": len(records) / span if span else 0.0,
            "drain_s": max(times) - load_end,
            "lag_p50_ms": pct(lags, 0.50) * 1000,
            "lag_p99_ms": pct(lags, 0.99) * 1000,
            "lag_max_ms": pct(lags, 1.0) * 1000,
            "duplicates": duplicates,
            "missing": missing,
            # Roster and its database after the load, per event delivered then (the
            # deliverer alone, but for 1.5 s of idling and the feed's few reads)
            "drain_cpu_ms_per_event": drain_cpu / max(1, after_load) * 1000,
            "drain_server_cpu_ms_per_event": (after[0] - at_end[0]) / max(1, after_load) * 1000,
            "receiver_cpu_ms_per_event": (self.rx.cpu() - rx0) / max(1, len(records)) * 1000,
        }
        log(
            f"    {d['received']}/{d['written']} events, {d['delivered_per_s']:.0f}/s, lag p50 "
            f"{d['lag_p50_ms']:.0f} ms p99 {d['lag_p99_ms']:.0f} ms, drained in "
            f"{d['drain_s']:.1f} s, {duplicates} duplicates, {missing} missing"
        )
        return result, d


def start(stack: contextlib.ExitStack, backend: str, label: str, **kw: Any) -> systems.Target:
    target = fresh_roster(backend, None, label, extra_env=ALLOW, **kw)
    url = target.server.env["ROSTER_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        files = [Path(url.removeprefix("sqlite:///") + s) for s in ("", "-wal", "-shm")]
        target.cleanup.append(lambda: [f.unlink(missing_ok=True) for f in files])
    stack.callback(target.stop)
    return target


def run_backend(backend: str, rx: Server, log_path: Path, args: Any) -> dict[str, Any]:
    cfg = {"seconds": args.seconds, "max_requests": 500_000, "connections": 16}
    with contextlib.ExitStack() as stack:
        sub = f"acme-{secrets.token_hex(3)}"
        a = start(stack, backend, "endpoint", subdomain=sub)
        b = start(stack, backend, "no-endpoint")
        env = a.server.env
        api_token = roster_cli(env, "api-token", "create", sub, "--label", "bench").splitlines()[-1]
        roster_cli(env, "webhook", "add", sub, f"http://127.0.0.1:{rx.port}/roster")
        auth = {"Authorization": f"Bearer {api_token}"}
        feed = stack.enter_context(httpx.Client(base_url=a.url, headers=auth, timeout=60))
        watch = Watch(feed, log_path, rx, pos=log_path.stat().st_size)
        watch.written()  # the seeding's events came before the endpoint: not sent to it
        for t in (a, b):
            bench.warm(t, {**cfg, "seconds": 1})
        runs: dict[str, dict[str, list[Any]]] = {k: {op: [] for op in OPS} for k in "AB"}
        delivery: dict[str, list[Any]] = {op: [] for op in OPS}
        for round_ in range(args.rounds):
            for op in OPS:
                log(f"{backend}, round {round_ + 1}/{args.rounds}: {op}")
                for key in "AB" if round_ % 2 == 0 else "BA":
                    if key == "A":
                        result, d = watch.measure(a, op, cfg)
                        delivery[op].append(d)
                    else:
                        result = bench.measure(b, op, cfg)
                    runs[key][op].append(result)
        labels = {"A": a.label, "B": b.label}
    summary_ = summary(runs, delivery)
    return {"labels": labels, "runs": runs, "delivery": delivery, "summary": summary_}


MEDIANS = ("written_per_s", "delivered_per_s", "lag_p50_ms", "lag_p99_ms", "drain_s")
MEDIANS += ("drain_cpu_ms_per_event", "receiver_cpu_ms_per_event")
SUMS = ("written", "received", "duplicates", "missing")


def median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def summary(runs: dict[str, Any], delivery: dict[str, list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op in OPS:
        a, b, ds = runs["A"][op], runs["B"][op], delivery[op]
        for r in a + b:
            r["cpu_ms"] = r["server_cpu_ms"] + r["db_cpu_ms"]
        out[op] = {
            "rps_with": median(a, "rps"),
            "rps_without": median(b, "rps"),
            "ratio": median(a, "rps") / median(b, "rps"),
            "cpu_ms_with": median(a, "cpu_ms"),
            "cpu_ms_with_drain": median(a, "cpu_with_drain_ms"),
            "cpu_ms_without": median(b, "cpu_ms"),
            "errors": sum(r["status_errors"] + r["timeouts"] + r["read_errors"] for r in a + b),
            "lag_max_ms": max(d["lag_max_ms"] for d in ds),
            **{k: median(ds, k) for k in MEDIANS},
            **{k: sum(d[k] for d in ds) for k in SUMS},
        }
    return out


def write_report(results: dict[str, Any]) -> None:
    c = results["config"]
    lines = [
        "# Events out: the outbox's cost on the write path, and event lag",
        "",
        f"`bench/events_out.py` at {results['commit']} ({c['cpus']} CPUs). Per backend two "
        "fresh Rosters set up with README's commands (`roster serve`, one worker, 2,000 people "
        "and two 1,000-member groups over SCIM): **A** with one webhook endpoint (`roster "
        "webhook add`, every event type), **B** with none. Both write their events; only A's "
        "deliverer (inside `roster serve`) sends them, to a receiver process on 127.0.0.1 "
        f"that answers 200 at once. wrk, 16 connections, {c['seconds']:g} s per run, "
        f"{c['rounds']} rounds (A B, then B A, ...), medians; after each A run its "
        "deliveries settled before the next run.",
        "",
        "CPU: Roster's process and its PostgreSQL backends per request during the load; in "
        "brackets, A's including what its deliverer spent after the load stopped. Lag: "
        "arrival at the receiver minus the event's `occurred_at`. Delivered/s: events "
        "received ÷ first to last arrival. Missing: in `GET /api/v1/events`, never received. "
        "CPU ms/event: Roster and its database after the load, per event delivered then.",
        "",
        "Both Rosters write every event in the change's own transaction; what A adds is its "
        "deliverer, which runs in the same single `roster serve` worker as the requests, on "
        f"the same {c['cpus']} CPUs (a deliverer apart, `ROSTER_DELIVERY=off` and `roster "
        "events deliver`, was not measured). `occurred_at` is stamped in the transaction "
        "just before it commits. deactivate starts from the first person in every run, so "
        "a later run's PATCH that finds someone already inactive writes no event.",
    ]
    for backend, res in results["backends"].items():
        lines += ["", f"## {'PostgreSQL' if backend == 'postgresql' else 'SQLite'}", ""]
        lines += ["| operation | req/s with endpoint | without | A/B | CPU ms/req A | B |"]
        lines += ["|---|---|---|---|---|---|"]
        for op, m in res["summary"].items():
            over = "" if m["ratio"] >= BOUND else " **over 10 %**"
            errors = f" ({m['errors']} errors)" if m["errors"] else ""
            lines.append(
                f"| {op}{errors} | {m['rps_with']:,.0f} | {m['rps_without']:,.0f} | "
                f"{m['ratio']:.2f}{over} | {m['cpu_ms_with']:.2f} ({m['cpu_ms_with_drain']:.2f})"
                f" | {m['cpu_ms_without']:.2f} |"
            )
        lines += ["", "| operation | events written/s | delivered/s | lag p50 | p99 | max | "]
        lines[-1] += "drained after the load (CPU ms/event) | received / written | duplicates | "
        lines[-1] += "missing |"
        lines += ["|---|---|---|---|---|---|---|---|---|---|"]
        for op, m in res["summary"].items():
            lags = " | ".join(
                f"{m[k] / 1000:.2f} s" for k in ("lag_p50_ms", "lag_p99_ms", "lag_max_ms")
            )
            lines.append(
                f"| {op} | {m['written_per_s']:,.0f} | {m['delivered_per_s']:,.0f} | {lags} | "
                f"{m['drain_s']:.1f} s ({m['drain_cpu_ms_per_event']:.1f}) | "
                f"{m['received']:,} / {m['written']:,} | "
                f"{m['duplicates']} | {m['missing']} |"
            )
        rx = statistics.median(m["receiver_cpu_ms_per_event"] for m in res["summary"].values())
        lines += ["", f"The receiver used {rx:.2f} ms CPU per event (median)."]
    worst = min(m["ratio"] for r in results["backends"].values() for m in r["summary"].values())
    verdict = "within" if worst >= BOUND else "**not** within"
    lines += ["", f"Lowest A/B {worst:.2f}: the outbox's cost is {verdict} the issue's 10 %."]
    (BENCH / "results" / "events-out.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--receive", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        with Path(args.receive[1]).open("a", buffering=1) as out:
            asyncio.run(receive(int(args.receive[0]), out))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench/events_out.py: terminated"))
    started = time.time()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    results: dict[str, Any] = {
        "config": {"rounds": args.rounds, "seconds": args.seconds, "cpus": os.cpu_count()},
        "commit": commit.stdout.strip(),
        "load_average_at_start": list(os.getloadavg()),
        "backends": {},
    }
    RAW.mkdir(parents=True, exist_ok=True)
    log_path = RAW / "events-out-arrivals.tsv"
    log_path.write_text("")
    port = free_port()
    argv = [sys.executable, str(Path(__file__).resolve()), "--receive", str(port), str(log_path)]
    rx = Server("webhook-receiver", argv, dict(os.environ), port).start()
    try:
        for backend in args.backends.split(","):
            results["backends"][backend] = run_backend(backend, rx, log_path, args)
    finally:
        rx.stop()
        log_path.unlink(missing_ok=True)
    results["elapsed_s"] = time.time() - started
    (RAW / "events-out.json").write_text(json.dumps(results, indent=1) + "\n")
    write_report(results)
    log(f"done in {results['elapsed_s'] / 60:.1f} min: bench/results/events-out.md")


if __name__ == "__main__":
    os.chdir(BENCH.parent)
    main()
