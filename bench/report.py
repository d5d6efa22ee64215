"""bench/results/results.json (+ profile.json, group_scale.md) -> REPORT.md and charts.

.venv/bin/python bench/report.py     (re-renders from the last run's JSON)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ROSTER = ("roster-postgresql-1w", "roster-postgresql-2w", "roster-sqlite-1w", "roster-sqlite-2w")
PEERS = ("django-scim2", "scim2-server")
SHORT = {
    "roster-postgresql-1w": "Roster PG 1w",
    "roster-postgresql-2w": "Roster PG 2w",
    "roster-sqlite-1w": "Roster SQLite 1w",
    "roster-sqlite-2w": "Roster SQLite 2w",
    "django-scim2": "django-scim2",
    "scim2-server": "scim2-server",
    "bare-uvicorn-1w": "bare uvicorn 1w",
    "bare-uvicorn-2w": "bare uvicorn 2w",
}
FLOOR_OPS = ("get", "lookup", "deactivate", "create", "put")
ORDER = (
    "get",
    "lookup",
    "import",
    "put",
    "deactivate",
    "create",
    "create_nopw",
    "group_create",
    "member",
    "push",
)


def cell(m: dict[str, Any] | None, key: str, fmt: str = "{:,.0f}") -> str:
    if m is None:
        return "–"
    if "unsupported" in m:
        return "n/a"
    value = m.get(key)
    if value is None:
        return "–"
    text = fmt.format(value)
    if m.get("status_errors") or m.get("timeouts"):
        text += "*"
    return text


def ok_rps(m: dict[str, Any] | None) -> float | None:
    """Throughput of successful responses; None when not served."""
    if not m or "unsupported" in m or not m.get("requests"):
        return None
    if m.get("ok", 0) < 0.5 * m["requests"]:
        return None
    return float(m["rps"] * m["ok"] / m["requests"])


def best_peer(matrix: dict[str, Any], op: str) -> tuple[str, float] | None:
    found = [(p, ok_rps(matrix.get(p, {}).get(op))) for p in PEERS]
    served = [(p, r) for p, r in found if r]
    return max(served, key=lambda x: x[1]) if served else None


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def floors(results: dict[str, Any]) -> list[str]:
    m = results.get("matrix", {})
    pg1 = m.get("roster-postgresql-1w", {})
    rows = ["| floor (PostgreSQL, 1 worker unless said) | measured | verdict |", "|---|---|---|"]
    for op in FLOOR_OPS:
        bp = best_peer(m, op)
        mine = ok_rps(pg1.get(op))
        if bp and mine:
            ratio = mine / bp[1]
            rows.append(
                f"| {results['ops'][op]} ≥ 3× best peer | {mine:,.0f} vs {bp[1]:,.0f} req/s "
                f"({bp[0]}) = **{ratio:.2f}×** | {verdict(ratio >= 3)} |"
            )
    bare = ok_rps(m.get("bare-uvicorn-1w", {}).get("get"))
    mine = ok_rps(pg1.get("get"))
    if bare and mine:
        rows.append(
            f"| GET /Users/{{id}} ≥ 25 % of bare uvicorn | {mine:,.0f} vs {bare:,.0f} req/s = "
            f"**{mine / bare:.1%}** | {verdict(mine / bare >= 0.25)} |"
        )
    for op, need in (("import", 20), ("member", 50)):
        bp = best_peer(m, op)
        mine = ok_rps(pg1.get(op))
        if bp and mine:
            rows.append(
                f"| {results['ops'][op]} ≥ {need}× best peer | {mine:,.1f} vs {bp[1]:,.1f} req/s "
                f"({bp[0]}) = **{mine / bp[1]:.1f}×** | {verdict(mine / bp[1] >= need)} |"
            )
    scale = results.get("scale", {})
    for backend in ("postgresql", "sqlite"):
        s = scale.get(backend)
        if not s:
            continue
        name = "PostgreSQL" if backend == "postgresql" else "SQLite"
        imp = s["import"]
        done = imp.get("finished", True)
        took = (
            f"{imp['seconds']:.1f} s, {imp['pages']:,} pages"
            if done
            else f"**not finished**: gave up after {imp['seconds']:.0f} s with "
            f"{imp['imported']:,} people ({imp['pages']:,} pages), the last page taking "
            f"{imp['last_page_ms']:,.0f} ms"
        )
        rows.append(
            f"| {name}: {imp['people']:,} people imported, count=100, ≤ 15 s, RSS < 300 MB | "
            f"{took}; RSS max {imp['rss_max_mb']:.0f} MB "
            f"| {verdict(done and imp['seconds'] <= 15 and imp['rss_max_mb'] < 300)} |"
        )
        lk = s["lookup"]
        rows.append(
            f"| {name}: userName lookup p50 at {lk['big']['people']:,} ≤ 1.5× at 1,000 | "
            f"{lk['big']['p50_ms']:.2f} vs {lk['small']['p50_ms']:.2f} ms = **{lk['ratio']:.2f}×** "
            f"| {verdict(lk['ratio'] <= 1.5)} |"
        )
    for backend, name in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        one, two = m.get(f"roster-{backend}-1w"), m.get(f"roster-{backend}-2w")
        if not one or not two:
            continue
        ratios = []
        for op in ("get", "lookup", "import"):
            a, b = ok_rps(one.get(op)), ok_rps(two.get(op))
            if a and b:
                ratios.append(f"{op} {b / a:.2f}×")
        worst = min(
            (ok_rps(two.get(op)) or 0) / (ok_rps(one.get(op)) or 1)
            for op in ("get", "lookup", "import")
        )
        rows.append(
            f"| {name}: 2 workers ≥ 1.6× 1 worker on reads | {', '.join(ratios)} "
            f"| {verdict(worst >= 1.6)} |"
        )
    for backend in ("postgresql", "sqlite"):
        s = scale.get(backend)
        if s:
            total = sum(s["load"].values())
            big = max(s["load_rows_per_s"].values())
            rows.append(
                f"| {'PostgreSQL COPY' if backend == 'postgresql' else 'SQLite executemany'}: "
                f"fixtures load in minutes | {total:.0f} s for "
                f"{sum(c for c in (1000, s['lookup']['big']['people'], s['import']['people'])):,} "
                f"people (up to {big:,.0f} rows/s) | {verdict(total < 600)} |"
            )
    return rows


def matrix_tables(results: dict[str, Any]) -> list[str]:
    m = results.get("matrix", {})
    names = [n for n in (*ROSTER, *PEERS) if n in m]
    lines: list[str] = []
    head = "| operation | " + " | ".join(SHORT[n] for n in names) + " |"
    sep = "|---|" + "---|" * len(names)
    for title, key, fmt, scale_ in (
        (
            "Throughput (requests/s, successful or not; * = some responses were errors)",
            "rps",
            "{:,.1f}",
            1.0,
        ),
        ("Latency p50 (ms)", "p50_us", "{:,.1f}", 1000.0),
        ("Latency p99 (ms)", "p99_us", "{:,.1f}", 1000.0),
        (
            "Server CPU per request (ms; the app server's processes)",
            "server_cpu_ms",
            "{:,.2f}",
            1.0,
        ),
        (
            "PostgreSQL CPU per request (ms; backends of the system's database)",
            "db_cpu_ms",
            "{:,.2f}",
            1.0,
        ),
    ):
        lines += ["", f"**{title}**", "", head, sep]
        for op, op_title in results["ops"].items():
            row = []
            for n in names:
                mm = m[n].get(op)
                if mm and key in mm and scale_ != 1.0:
                    mm = {**mm, key: mm[key] / scale_}
                if key == "db_cpu_ms" and n in (*PEERS, "roster-sqlite-1w", "roster-sqlite-2w"):
                    row.append("–" if n != "django-scim2" else cell(mm, key, fmt))
                else:
                    row.append(cell(mm, key, fmt))
            lines.append(f"| {op_title} | " + " | ".join(row) + " |")
    lines += [
        "",
        "**Share of one core the server kept busy** (req/s × server CPU per request; well "
        "under 100 % for a one-worker server means it waited rather than computed)",
        "",
        head,
        sep,
    ]
    for op, op_title in results["ops"].items():
        row = []
        for n in names:
            mm = m[n].get(op)
            if not mm or "unsupported" in mm or not mm.get("requests"):
                row.append("n/a" if mm and "unsupported" in mm else "–")
            else:
                row.append(f"{mm['rps'] * mm['server_cpu_ms'] / 1000:.0%}")
        lines.append(f"| {op_title} | " + " | ".join(row) + " |")
    pg = [n for n in ("roster-postgresql-1w", "roster-postgresql-2w", "django-scim2") if n in m]
    if pg:
        lines += [
            "",
            "**PostgreSQL transactions per request** (from pg_stat_database)",
            "",
            "| operation | " + " | ".join(SHORT[n] for n in pg) + " |",
            "|---|" + "---|" * len(pg),
        ]
        for op, op_title in results["ops"].items():
            row = [cell(m[n].get(op), "xacts_per_request", "{:.1f}") for n in pg]
            lines.append(f"| {op_title} | " + " | ".join(row) + " |")
    return lines


def ratio_table(results: dict[str, Any]) -> list[str]:
    m = results.get("matrix", {})
    lines = [
        "| operation | best peer (req/s) | Roster PG 1w ÷ best peer | Roster SQLite 1w ÷ best "
        "peer | Roster PG 1w ÷ bare uvicorn | Roster PG 1w CPU/req ÷ best peer's |",
        "|---|---|---|---|---|---|",
    ]
    bare = ok_rps(m.get("bare-uvicorn-1w", {}).get("get"))
    for op, title in results["ops"].items():
        bp = best_peer(m, op)
        pg = ok_rps(m.get("roster-postgresql-1w", {}).get(op))
        sq = ok_rps(m.get("roster-sqlite-1w", {}).get(op))
        if not bp:
            lines.append(f"| {title} | none serves it | – | – | – | – |")
            continue
        peer_cpu = m[bp[0]][op].get("server_cpu_ms", 0) + m[bp[0]][op].get("db_cpu_ms", 0)
        mine = m.get("roster-postgresql-1w", {}).get(op, {})
        my_cpu = mine.get("server_cpu_ms", 0) + mine.get("db_cpu_ms", 0)
        lines.append(
            f"| {title} | {bp[1]:,.1f} ({bp[0]}) | "
            + (f"{pg / bp[1]:.2f}×" if pg else "–")
            + " | "
            + (f"{sq / bp[1]:.2f}×" if sq else "–")
            + " | "
            + (f"{pg / bare:.1%}" if pg and bare and op == "get" else "–")
            + " | "
            + (f"{my_cpu / peer_cpu:.2f}×" if peer_cpu and my_cpu else "–")
            + " |"
        )
    pgb = results.get("pgbench")
    lk = ok_rps(m.get("roster-postgresql-1w", {}).get("lookup"))
    if pgb and lk:
        lines += [
            "",
            f"PostgreSQL's own point-read ceiling (`pgbench -S`, {pgb['connections']} clients, "
            f"same server): **{pgb['tps']:,.0f} tps** "
            f"(latency average {pgb['latency_ms']:.2f} ms). "
            f"Roster's userName lookup on PostgreSQL reaches {lk / pgb['tps']:.1%} of it; "
            f"GET by id {((ok_rps(m['roster-postgresql-1w'].get('get')) or 0) / pgb['tps']):.1%}.",
        ]
    return lines


def scale_section(results: dict[str, Any]) -> list[str]:
    scale = results.get("scale", {})
    lines: list[str] = []
    for backend, name in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        s = scale.get(backend)
        if not s:
            continue
        lk, imp = s["lookup"], s["import"]
        lines += [
            f"**{name}** (one worker; fixtures: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in s["load"].items())
            + ")",
            "",
            "| measure | value |",
            "|---|---|",
            "| userName lookup p50, 1 connection, company of 1,000 | "
            f"{lk['small']['p50_ms']:.2f} ms "
            f"({lk['small']['rps_1_connection']:,.0f} req/s) |",
            f"| userName lookup p50, 1 connection, company of {lk['big']['people']:,} | "
            f"{lk['big']['p50_ms']:.2f} ms ({lk['big']['rps_1_connection']:,.0f} req/s) |",
            f"| ratio | {lk['ratio']:.2f}× |",
            f"| import of {imp['people']:,} people, count=100, one page at a time | "
            + ("" if imp.get("finished", True) else "**gave up** after ")
            + f"{imp['seconds']:.1f} s ({imp['pages']:,} pages; "
            f"page p50 {imp['page_p50_ms']:.1f} ms, "
            f"p99 {imp['page_p99_ms']:.1f} ms, last page {imp['last_page_ms']:.1f} ms) |",
            f"| people seen in the import | {imp['imported']:,} |",
            f"| server RSS during the import | {imp['rss_start_mb']:.0f} MB at start, "
            f"{imp['rss_max_mb']:.0f} MB max ({len(imp['rss_samples'])} samples) |",
            "",
        ]
    return lines


def profile_section(profile: dict[str, Any] | None) -> list[str]:
    if not profile:
        return ["(bench/results/profile.json not found: run `.venv/bin/python bench/hotspots.py`)"]
    lines = [
        "py-spy sampled the worker at 200 Hz while wrk replayed each operation (16 "
        "connections, Roster on PostgreSQL, default settings). Each sample is given to the "
        "layer of its innermost recognisable frame:",
        "",
    ]
    ops = profile["ops"]
    layers: list[str] = []
    for o in ops.values():
        for k in o.get("layers", {}):
            if k not in layers:
                layers.append(k)
    lines += [
        "| layer | " + " | ".join(ops) + " |",
        "|---|" + "---|" * len(ops),
        "| req/s while sampled | " + " | ".join(f"{o['rps']:,.0f}" for o in ops.values()) + " |",
        "| server CPU ms/request | "
        + " | ".join(f"{o['server_cpu_ms']:.2f}" for o in ops.values())
        + " |",
    ]
    for layer in layers:
        lines.append(
            f"| {layer} | "
            + " | ".join(f"{o.get('layers', {}).get(layer, 0):.0%}" for o in ops.values())
            + " |"
        )
    lines += ["", "Roster functions, inclusive share of samples (GET by id / lookup / import):", ""]
    for op in ("get", "lookup", "import"):
        if op in ops:
            top = list(ops[op].get("roster_inclusive", {}).items())[:9]
            lines.append(f"- `{op}`: " + "; ".join(f"{k} {v:.0%}" for k, v in top))
    pool = profile.get("pool", {})
    if pool:
        lines += [
            "",
            "Connection pool: the same operations with `ROSTER_DATABASE_POOL_SIZE` 10 (the "
            "default) and 20, 16 connections of load, fresh server each:",
            "",
            "| operation | req/s, pool 10 | req/s, pool 20 | gain | server CPU ms/req 10 → 20 | "
            "connections opened per 1,000 requests, 10 → 20 |",
            "|---|---|---|---|---|---|",
        ]
        for key, a in pool.items():
            if not key.endswith("@10"):
                continue
            b = pool.get(key.replace("@10", "@20"))
            if not b:
                continue
            lines.append(
                f"| {a['op']} | {a['rps']:,.0f} | {b['rps']:,.0f} | {b['rps'] / a['rps']:.2f}× | "
                f"{a['server_cpu_ms']:.2f} → {b['server_cpu_ms']:.2f} | "
                f"{a['connections_opened_per_1000_requests']:.0f} → "
                f"{b['connections_opened_per_1000_requests']:.0f} |"
            )
    return lines


def charts(results: dict[str, Any]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: list[str] = []
    m = results.get("matrix", {})
    names = [n for n in (*ROSTER, *PEERS) if n in m]
    ops = list(results["ops"])
    if names:
        fig, ax = plt.subplots(figsize=(13, 5.5))
        width = 0.8 / len(names)
        for i, n in enumerate(names):
            vals = [ok_rps(m[n].get(op)) or 0 for op in ops]
            ax.bar([x + i * width for x in range(len(ops))], vals, width, label=SHORT[n])
        bare = ok_rps(m.get("bare-uvicorn-1w", {}).get("get"))
        if bare:
            ax.axhline(bare, color="grey", linestyle="--", linewidth=1)
            ax.text(
                len(ops) - 1, bare * 1.1, f"bare uvicorn 1w: {bare:,.0f}", ha="right", color="grey"
            )
        pgb = results.get("pgbench")
        if pgb:
            ax.axhline(pgb["tps"], color="black", linestyle=":", linewidth=1)
            ax.text(len(ops) - 1, pgb["tps"] * 0.75, f"pgbench -S: {pgb['tps']:,.0f}", ha="right")
        ax.set_yscale("log")
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(ops))])
        ax.set_xticklabels([results["ops"][o].replace(", ", ",\n") for o in ops], fontsize=7)
        ax.set_ylabel("successful requests/s (log)")
        ax.set_title("Okta's request mix, 16 connections, same machine, same run")
        ax.legend(fontsize=8, ncol=3)
        fig.tight_layout()
        fig.savefig(RESULTS / "throughput.png", dpi=110)
        plt.close(fig)
        made.append("throughput.png")

        fig, ax = plt.subplots(figsize=(13, 5))
        for i, n in enumerate(names):
            vals = []
            for op in ops:
                mm = m[n].get(op) or {}
                vals.append(mm.get("server_cpu_ms", 0) + mm.get("db_cpu_ms", 0))
            ax.bar([x + i * width for x in range(len(ops))], vals, width, label=SHORT[n])
        ax.set_yscale("log")
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(ops))])
        ax.set_xticklabels([results["ops"][o].replace(", ", ",\n") for o in ops], fontsize=7)
        ax.set_ylabel("CPU ms per request, server + PostgreSQL (log)")
        ax.set_title("CPU cost per request")
        ax.legend(fontsize=8, ncol=3)
        fig.tight_layout()
        fig.savefig(RESULTS / "cpu_per_request.png", dpi=110)
        plt.close(fig)
        made.append("cpu_per_request.png")

    scale = results.get("scale", {})
    if scale:
        fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
        for backend, s in scale.items():
            samples = s["import"]["rss_samples"]
            axes[0].plot([i * 0.1 for i in range(len(samples))], samples, label=backend)
        axes[0].axhline(300, color="red", linestyle="--", linewidth=1)
        axes[0].set_xlabel("seconds into the 100,000-person import")
        axes[0].set_ylabel("server RSS (MB)")
        axes[0].set_title("Memory during the import (limit 300 MB)")
        axes[0].legend()
        labels, small, big = [], [], []
        for backend, s in scale.items():
            labels.append(f"{backend}\n1,000 vs {s['lookup']['big']['people']:,}")
            small.append(s["lookup"]["small"]["p50_ms"])
            big.append(s["lookup"]["big"]["p50_ms"])
        xs = range(len(labels))
        axes[1].bar([x - 0.2 for x in xs], small, 0.4, label="1,000 people")
        axes[1].bar([x + 0.2 for x in xs], big, 0.4, label="big company")
        axes[1].set_xticks(list(xs))
        axes[1].set_xticklabels(labels)
        axes[1].set_ylabel("userName lookup p50 (ms), 1 connection")
        axes[1].set_title("Lookup latency vs company size")
        axes[1].legend()
        for backend, s in scale.items():
            depth = s["import"].get("page_ms_by_depth", [])
            axes[2].plot(range(1, len(depth) + 1), depth, label=backend, linewidth=0.8)
        axes[2].set_yscale("log")
        axes[2].set_xlabel("page number (startIndex = 100 × (n − 1) + 1)")
        axes[2].set_ylabel("page time (ms, log)")
        axes[2].set_title("Import: time of each page vs depth")
        axes[2].legend()
        fig.tight_layout()
        fig.savefig(RESULTS / "scale.png", dpi=110)
        plt.close(fig)
        made.append("scale.png")
    return made


def versus_section(results: dict[str, Any]) -> list[str]:
    """With `run.py --versus REV`: where the old-versus-new comparison is, and its verdict.
    Nothing when the run had no --versus."""
    v = results.get("versus")
    if not v or not v.get("runs"):
        return []
    import versus_report

    flags = versus_report.flagged(results)
    return [
        "## Old code versus new",
        "",
        f"This run also measured every Roster target against a twin running `{v['old']['short']}`"
        f"'s code, {v['rounds']} alternating rounds per operation: see [versus.md](versus.md). "
        + (
            "More than 5 % slower on both req/s and CPU/request: " + "; ".join(flags) + "."
            if flags
            else "No operation is more than 5 % slower on both req/s and CPU/request."
        ),
        "",
    ]


def users_section() -> list[str]:
    """The headline: bench/as_users_get_it.py's last run (a fresh `make run`, people
    created over SCIM), kept apart because it is its own run of its own length."""
    path = RESULTS / "as-users-get-it.md"
    if not path.exists():
        return []
    body = path.read_text().split("\n", 1)[1].strip()  # its own title dropped
    return ["## As a new user gets it (bench/as_users_get_it.py)", "", body, ""]


def write(results: dict[str, Any]) -> None:
    ops = results["ops"]
    results["ops"] = {k: ops[k] for k in sorted(ops, key=lambda k: (*ORDER, k).index(k))}
    profile_path = RESULTS / "profile.json"
    profile = json.loads(profile_path.read_text()) if profile_path.exists() else None
    cfg = results["config"]
    machine = results["machine"]
    made = charts(results)
    lines = [
        "# Roster performance: Okta's traffic against the peers and the ceilings",
        "",
        f"Generated by `make bench{' FULL=1' if cfg['mode'] == 'full' else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit `{machine['commit']}`"
        + (" (src/ had uncommitted changes)" if machine.get("dirty_src") else "")
        + f"; {cfg['mode']} mode, {results.get('elapsed_s', 0) / 60:.1f} minutes. "
        f"{machine['cpus']} cores, Python {machine['python']}, load average at start "
        f"{', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])} "
        "(the machine is shared: compare systems within this run, not across runs).",
        "",
        *users_section(),
        "## How it was measured",
        "",
        f"- Load: wrk (C, one thread, {cfg['connections']} connections, loopback), a Lua script "
        "(`bench/okta.lua`) that builds each request of one operation from a counter; each run "
        f"is bounded to {cfg['seconds']:g} s and {cfg['max_requests']:,} requests. Operations run "
        "in operation-major order: every system runs an operation within the same minute.",
        f"- Data, the same for every system and seeded through its own SCIM API: "
        f"{cfg['people']:,} people, a {cfg['group_size']:,}-member group for membership changes "
        f"(the other {cfg['people'] - cfg['group_size']:,} people are added and removed one at a "
        f"time) and another {cfg['group_size']:,}-member group for Push Now (alternating between "
        "two member lists that differ by 10 people).",
        "- Requests are Okta's: the create body of Okta's docs (with its `password`), "
        '`filter=userName eq "…"&startIndex=1&count=100`, import pages '
        "`startIndex=…&count=100`, PUT of the whole user, path-less PATCH "
        '`{"active":false}` (then true), group PATCH = path-less rename + `add`, then '
        '`remove` by `members[value eq "…"]`, Push Now = `replace` of `members`.',
        "- Roster: `roster serve --workers N` (uvicorn), default settings except the rate limits "
        "(off: they protect a deployment and are not what is measured); SQLite in WAL mode and a "
        "throw-away PostgreSQL database on 127.0.0.1:5432. Each configuration is its own "
        "company.",
        "- Peers, each in its own virtualenv under bench/.peers/, one gunicorn worker (gthread, "
        "4 threads): "
        + "; ".join(
            f"**{s['label']}**" for s in results.get("systems", {}).values() if s["kind"] == "peer"
        )
        + ".",
        "- Ceilings: a bare Starlette endpoint returning a ~1 KB user document under the same "
        "uvicorn (`bench/ceiling_app.py`), and `pgbench -S` against the same PostgreSQL.",
        "- CPU per request: user+system CPU of the server's processes (and, for PostgreSQL, of "
        "the backends connected to that system's database) over the run, divided by requests.",
        "",
        *versus_section(results),
        "## Floors (issue 7)",
        "",
        *floors(results),
        "",
        "## Ratios",
        "",
        *ratio_table(results),
        "",
        "## Every operation, every system",
        *matrix_tables(results),
        "",
        "Ceilings: "
        + "; ".join(
            f"{SHORT[n]} GET {ok_rps(results['matrix'][n].get('get')) or 0:,.0f} req/s "
            f"(p50 {results['matrix'][n]['get']['p50_us'] / 1000:.2f} ms, "
            f"{results['matrix'][n]['get']['server_cpu_ms']:.3f} ms CPU/req)"
            for n in ("bare-uvicorn-1w", "bare-uvicorn-2w")
            if n in results.get("matrix", {})
        )
        + ".",
        "",
    ]
    for s in results.get("systems", {}).values():
        if s["unsupported"] or s["notes"]:
            lines.append(f"**{s['label']}**:")
            lines += [f"- not served: {op}: {why}" for op, why in s["unsupported"].items()]
            lines += [f"- {note}" for note in s["notes"]]
            lines.append("")
    lines += ["## Enterprise scale", "", *scale_section(results)]
    group_scale = RESULTS / "group_scale.md"
    if group_scale.exists():
        lines += [
            "Group membership at scale (`bench/group_scale.py`, its last run):",
            "",
            *group_scale.read_text().strip().splitlines()[2:],
            "",
        ]
    lines += ["## Where the time goes", "", *profile_section(profile), ""]
    findings = Path(__file__).resolve().parent / "FINDINGS.md"
    if findings.exists():
        lines += findings.read_text().strip().splitlines()[1:]
        lines.append("")
    lines += ["## Charts", ""] + [f"![{c}]({c})" for c in made] + [""]
    (RESULTS / "REPORT.md").write_text("\n".join(lines))


if __name__ == "__main__":
    write(json.loads((RESULTS / "results.json").read_text()))
