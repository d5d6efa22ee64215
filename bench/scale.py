"""The scale an enterprise brings, against one `roster serve` worker:

- userName lookup p50 in a company of 1,000,000 people vs one of 1,000 (same database,
  same server, alternated);
- a 100,000-person import paged with count=100 as Okta does (one page at a time),
  timed, with the server's resident memory sampled every 100 ms;
- how long the bulk fixtures take to load (COPY on PostgreSQL, executemany on SQLite).
"""

from __future__ import annotations

import random
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import systems
from common import RAW, RssSampler, Server, drop_database, free_port, log, run_wrk
from fixtures import bulk_load


def lookup_file(name: str, token: str, tag: str, count: int) -> Path:
    rng = random.Random(11)
    lines = ["token\t" + token, "base\t/scim/v2"]
    for _ in range(2000):
        i = rng.randrange(count)
        lines.append(f"user\tx\tuser{i}.{tag}@scale.example")
    path = RAW / f"data-scale-{name}.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def import_all(server: Server, token: str, expected: int, limit_s: float) -> dict[str, Any]:
    """Okta's import: GET /Users?startIndex=1&count=100, then 101, ... one at a time,
    given up after `limit_s` seconds (the floor is 15 s)."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    seen: set[str] = set()
    with (
        httpx.Client(
            base_url=f"http://127.0.0.1:{server.port}/scim/v2", headers=headers, timeout=60
        ) as client,
        RssSampler(server) as rss,
    ):
        started = time.perf_counter()
        start = 1
        finished = False
        while time.perf_counter() - started < limit_s:
            t0 = time.perf_counter()
            r = client.get("/Users", params={"startIndex": start, "count": 100})
            latencies.append(time.perf_counter() - t0)
            r.raise_for_status()
            body = r.json()
            total = int(body["totalResults"])
            page = body.get("Resources", [])
            seen.update(p["id"] for p in page)
            start += len(page)
            if not page or start > total:
                finished = True
                break
        seconds = time.perf_counter() - started
    by_depth = [round(x * 1000, 2) for x in latencies]
    latencies.sort()
    result = {
        "finished": finished,
        "limit_s": limit_s,
        "page_ms_by_depth": by_depth,
        "people": expected,
        "imported": len(seen),
        "pages": len(latencies),
        "seconds": seconds,
        "page_p50_ms": statistics.median(latencies) * 1000,
        "page_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "last_page_ms": latencies[-1] * 1000 if latencies else 0,
        "rss_max_mb": max(rss.samples),
        "rss_start_mb": rss.samples[0],
        "rss_samples": [round(x, 1) for x in rss.samples],
    }
    log(
        ("  " if finished else "  GAVE UP: ")
        + f"imported {len(seen):,} of {expected:,} in {seconds:.1f} s "
        f"({len(latencies)} pages, p50 {result['page_p50_ms']:.1f} ms), "
        f"RSS max {result['rss_max_mb']:.0f} MB"
    )
    return result


def run_backend(
    backend: str, url: str, big: int, imported: int, seconds: float, limit_s: float
) -> dict[str, Any]:
    env = systems.roster_env(url)
    systems.upgrade(env)
    companies = {}
    for label, count in (("small", 1000), ("big", big), ("import", imported)):
        sub, token = systems.new_company(env)
        log(f"{backend}: company '{label}' ({sub})")
        companies[label] = {"sub": sub, "token": token, **bulk_load(env, sub, count)}
    port = free_port()
    server = Server(
        f"scale-{backend}",
        [str(systems.BIN / "roster"), "serve", "--port", str(port), "--workers", "1"],
        env,
        port,
        health="/healthz",
    ).start()
    out: dict[str, Any] = {"load": {k: v["seconds"] for k, v in companies.items()}}
    out["load_rows_per_s"] = {k: v["rows_per_s"] for k, v in companies.items()}
    try:
        files = {
            k: lookup_file(
                f"{backend}-{k}", companies[k]["token"], companies[k]["tag"], companies[k]["people"]
            )
            for k in ("small", "big")
        }
        url_ = f"http://127.0.0.1:{port}"
        for path in files.values():  # warm both
            run_wrk(url_, "lookup", path, connections=1, seconds=1, max_requests=500, tag="w")
        p50: dict[str, list[float]] = {"small": [], "big": []}
        rps: dict[str, list[float]] = {"small": [], "big": []}
        for _ in range(2):
            for k, path in files.items():
                r = run_wrk(
                    url_,
                    "lookup",
                    path,
                    connections=1,
                    seconds=seconds,
                    max_requests=20_000,
                    tag="s",
                )
                p50[k].append(r["p50_us"] / 1000)
                rps[k].append(r["rps"])
        out["lookup"] = {
            k: {
                "people": companies[k]["people"],
                "p50_ms": statistics.median(p50[k]),
                "rps_1_connection": statistics.median(rps[k]),
            }
            for k in p50
        }
        ratio = out["lookup"]["big"]["p50_ms"] / out["lookup"]["small"]["p50_ms"]
        out["lookup"]["ratio"] = ratio
        log(
            f"  lookup p50: {out['lookup']['small']['p50_ms']:.2f} ms at 1,000 people, "
            f"{out['lookup']['big']['p50_ms']:.2f} ms at {big:,} (x{ratio:.2f})"
        )
        out["import"] = import_all(server, companies["import"]["token"], imported, limit_s)
    finally:
        server.stop()
    return out


def run_all(full: bool) -> dict[str, Any]:
    seconds = 5.0 if full else 2.0
    limit_s = 120.0 if full else 25.0
    results: dict[str, Any] = {}
    name, url = systems.postgres_database()
    try:
        log("scale, PostgreSQL")
        results["postgresql"] = run_backend("postgresql", url, 1_000_000, 100_000, seconds, limit_s)
    finally:
        drop_database(name)
    log("scale, SQLite")
    path = RAW / "sqlite" / f"scale-{secrets.token_hex(3)}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        results["sqlite"] = run_backend(
            "sqlite", f"sqlite:///{path}", 1_000_000 if full else 100_000, 100_000, seconds, limit_s
        )
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return results
