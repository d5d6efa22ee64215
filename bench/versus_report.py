"""bench/results/raw/versus.json (from `bench/run.py --versus REV`) ->
bench/results/versus.md: old code against new, per operation, one table per backend and
worker count.

    .venv/bin/python bench/versus_report.py                  (from the last versus run)
    .venv/bin/python bench/versus_report.py [--notes N.md] A.json B.json ...
                                                      (several runs in one page)

The committed versus.md is rendered from the runs kept in bench/results/versus/, with
bench/results/versus/notes.md as its notes.

An operation is flagged when the new code is more than 5 % worse on both figures: median
throughput (req/s) and median server CPU per request (ms, the steadier of the two on a
shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
LIMIT = 0.05


def errors(run: dict[str, Any]) -> int:
    return int(run.get("status_errors", 0) + run.get("timeouts", 0) + run.get("read_errors", 0))


def summarise(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, Any]:
    med = statistics.median
    s: dict[str, Any] = {}
    for key in ("rps", "server_cpu_ms", "db_cpu_ms", "xacts_per_request"):
        o = [r[key] for r in old if key in r]
        n = [r[key] for r in new if key in r]
        if o and n:
            s[f"old_{key}"], s[f"new_{key}"] = med(o), med(n)
            s[f"ratio_{key}"] = med(n) / med(o) if med(o) else None
    # Each round's own new/old ratio: how far the rounds spread.
    pairs = [(o, n) for o in old for n in new if o["round"] == n["round"]]
    for key in ("rps", "server_cpu_ms"):
        ratios = [n[key] / o[key] for o, n in pairs if o.get(key)]
        s[f"range_{key}"] = (min(ratios), max(ratios)) if ratios else None
    s["rounds"] = len(pairs)
    s["errors"] = sum(errors(r) for r in (*old, *new))
    rps, cpu = s.get("ratio_rps"), s.get("ratio_server_cpu_ms")
    s["slower"] = bool(rps and cpu and rps < 1 - LIMIT and cpu > 1 + LIMIT)
    return s


def summary(results: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    v = results["versus"]
    return {
        name: {op: summarise(sides["old"], sides["new"]) for op, sides in ops.items()}
        for name, ops in v["runs"].items()
    }


def flagged(results: dict[str, Any]) -> list[str]:
    out = []
    for name, ops in summary(results).items():
        for op, s in ops.items():
            if s["slower"]:
                out.append(
                    f"{name} {op}: new is {1 - s['ratio_rps']:.1%} lower in req/s and "
                    f"{s['ratio_server_cpu_ms'] - 1:.1%} higher in CPU/request"
                )
    return out


def pct(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.3f} ({ratio - 1:+.1%})"


def spread(r: tuple[float, float] | None) -> str:
    return "–" if not r else f"{r[0]:.2f}–{r[1]:.2f}"


def verdict(s: dict[str, Any]) -> str:
    if s["slower"]:
        return "**slower > 5 %**"
    rps, cpu = s.get("ratio_rps") or 1, s.get("ratio_server_cpu_ms") or 1
    notes = []
    if rps < 1 - LIMIT:
        notes.append(f"req/s {rps - 1:+.1%}")
    if cpu > 1 + LIMIT:
        notes.append(f"CPU {cpu - 1:+.1%}")
    return "ok" + (f" (only {', '.join(notes)})" if notes else "")


def table(results: dict[str, Any], name: str, ops: dict[str, dict[str, Any]]) -> list[str]:
    titles = results["ops"]
    pg = "postgresql" in name
    head = (
        "| operation | old req/s | new req/s | new/old req/s | rounds' range | "
        "old CPU ms/req | new CPU ms/req | new/old CPU | rounds' range |"
    )
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    if pg:
        head += " PG CPU ms/req old → new | xacts/req old → new |"
        sep += "---:|---:|"
    lines = [head + " verdict |", sep + "---|"]
    for op, s in ops.items():
        star = "*" if s["errors"] else ""
        row = (
            f"| {titles.get(op, op)}{star} | {s['old_rps']:,.1f} | {s['new_rps']:,.1f} | "
            f"{pct(s['ratio_rps'])} | {spread(s['range_rps'])} | "
            f"{s['old_server_cpu_ms']:.2f} | {s['new_server_cpu_ms']:.2f} | "
            f"{pct(s['ratio_server_cpu_ms'])} | {spread(s['range_server_cpu_ms'])} |"
        )
        if pg:
            row += (
                f" {s.get('old_db_cpu_ms', 0):.2f} → {s.get('new_db_cpu_ms', 0):.2f} |"
                f" {s.get('old_xacts_per_request', 0):.2f} → "
                f"{s.get('new_xacts_per_request', 0):.2f} |"
            )
        lines.append(row + f" {verdict(s)} |")
    return lines


def proof_lines(v: dict[str, Any]) -> list[str]:
    lines = []
    for name, p in v["proof"].items():
        pythonpath = sorted(set(p["pythonpath_by_pid"].values()))
        frames = ", ".join(
            f"{n:,} samples from {p['sampled_roster_files_by_src'][src]} files under `{src}`"
            for src, n in p["sampled_roster_frames_by_src"].items()
        )
        lines.append(
            f"- `{name}`: `import roster.cli` under its environment gives `{p['import']}`; "
            f"PYTHONPATH in its {len(p['pythonpath_by_pid'])} "
            + ("process: " if len(p["pythonpath_by_pid"]) == 1 else "processes: ")
            + ", ".join(f"`{x}`" if x else "unset" for x in pythonpath)
            + f"; py-spy during a GET load: Roster frames only from {frames}"
            + " (samples in Roster code by process: "
            + ", ".join(f"{pid}: {n:,}" for pid, n in p["roster_samples_by_pid"].items())
            + ")."
        )
    return lines


def run_lines(results: dict[str, Any], heading: str) -> list[str]:
    """One run: where and how it was measured, a table per target, its verdict, the proof."""
    v, cfg, machine = results["versus"], results["config"], results["machine"]
    load0, load1 = v["load_average_at_start"], v.get("load_average_at_end", [])
    during = [r["load_average"] for ops in v["runs"].values() for s in ops.values()
              for side in s.values() for r in side]  # fmt: skip
    env = {k: x for k, x in v.get("environment", {}).items() if k != "ROSTER_BENCH_POSTGRES_URL"}
    lines = [
        f"{heading}`{v['command']}`",
        "",
        f"- started {v.get('started_at', '?')}"
        + (
            f", {results['elapsed_s'] / 60:.0f} minutes"
            if "elapsed_s" in results
            else "; **did not finish** (the operations it measured are below)"
        )
        + ".",
        *([f"- note: {v['note']}"] if v.get("note") else []),
        f"- **old**: `{v['old']['sha']}` ({v['old']['subject']})",
        f"- **new**: src/ as of `{v['new']['src_commit']}` "
        f"({v['new'].get('src_subject', '')}), run from HEAD `{v['new']['sha'][:7]}`"
        + (", **with uncommitted changes in src/**" if v["new"]["dirty_src"] else "")
        + ".",
        f"- machine: {machine['cpus']} cores, Python {machine['python']}, shared with other "
        f"work. Load average (1, 5, 15 min) at start {', '.join(f'{x:.2f}' for x in load0)}, "
        f"at end {', '.join(f'{x:.2f}' for x in load1)}"
        + (f"; 1-minute load during the runs {min(during):.2f}–{max(during):.2f}" if during else "")
        + ".",
        f"- config: wrk, 1 thread, {cfg['connections']} connections, {cfg['seconds']:g} s "
        f"(at most {cfg['max_requests']:,} requests) per run; {cfg['people']:,} people, "
        f"{cfg['group_size']:,}-member groups; {v['rounds']} rounds per operation"
        + (
            "; both sides with " + ", ".join(f"`{k}={x}`" for k, x in env.items())
            if env
            else "; Roster's default settings (rate limits off)"
        )
        + ".",
        "",
    ]
    for name, ops in summary(results).items():
        lines += [f"#{heading.split()[0]} {name}", "", *table(results, name, ops), ""]
    flags = flagged(results)
    lines += [f"#{heading.split()[0]} Verdict of this run", ""]
    lines += [f"- {f}" for f in flags] or ["- No operation is more than 5 % slower on both."]
    lines += ["", f"#{heading.split()[0]} Which code each server ran", "", *proof_lines(v), ""]
    return lines


def across(runs: list[dict[str, Any]]) -> list[str]:
    """Every target and operation in every run: new/old req/s; new/old CPU per request."""
    sums = [summary(r) for r in runs]
    rows: dict[tuple[str, str], None] = {}
    for s in sums:
        for name, ops in s.items():
            for op in ops:
                rows[(name, op)] = None
    lines = [
        "## Summary: new/old in every run (req/s ratio; CPU/request ratio)",
        "",
        "Bold: flagged (more than 5 % worse on both). Below 1.000 is slower for req/s, "
        "above 1.000 is slower for CPU/request.",
        "",
        "| target | operation | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |",
        "|---|---|" + "---|" * len(runs),
    ]
    targets = list(dict.fromkeys(name for name, _ in rows))
    order = list(dict.fromkeys(op for r in runs for op in r["ops"]))
    for name, op in sorted(rows, key=lambda k: (targets.index(k[0]), order.index(k[1]))):
        cells = []
        for s in sums:
            x = s.get(name, {}).get(op)
            if x is None:
                cells.append("–")
                continue
            mark = "**" if x["slower"] else ""
            cells.append(f"{mark}{x['ratio_rps']:.3f}; {x['ratio_server_cpu_ms']:.3f}{mark}")
        lines.append(f"| {name} | {op} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def render(runs: list[dict[str, Any]], notes: str = "") -> str:
    first = runs[0]["versus"]
    lines = [
        f"# Old code versus new: `{first['old']['short']}` against "
        f"`{first['new']['src_commit'][:7]}` (src/)",
        "",
        f"`bench/run.py --versus {first['old']['rev']}` (bench/versus.py), rendered by "
        f"bench/versus_report.py on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        + (f" from {len(runs)} runs" if len(runs) > 1 else "")
        + ".",
        "",
        "- Each Roster target is paired with a twin: the same `roster serve --workers N` "
        "command and environment, with PYTHONPATH=<worktree of old>/src; its own database "
        "(SQLite file / PostgreSQL database), seeded the same way (this checkout's "
        "in-process helpers; the migrations are identical in both commits, which the run "
        "checks). One pair at a time; within each operation old and new alternate "
        "(A B, B A, ...) for the run's rounds.",
        "- Figures are medians over the rounds; *rounds' range* is the lowest and highest "
        "per-round new/old ratio. CPU ms/req is the server's processes' user+system CPU over "
        "the run divided by its requests (on SQLite that includes the database's work; on "
        "PostgreSQL the backends' CPU is the separate PG column). A row is flagged "
        "**slower > 5 %** when new is more than 5 % worse on both req/s and CPU/request. "
        "* = some responses were errors.",
        "",
        *([notes.strip(), ""] if notes.strip() else []),
        *across(runs),
    ]
    for i, results in enumerate(runs):
        heading = f"## Run {i + 1}: " if len(runs) > 1 else "## "
        lines += run_lines(results, heading)
    return "\n".join(lines)


def write(runs: list[dict[str, Any]], notes: str = "") -> Path:
    path = RESULTS / "versus.md"
    path.write_text(render(runs, notes))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=Path, help="Markdown put after the page's method")
    parser.add_argument("runs", nargs="*", type=Path, default=[RESULTS / "raw" / "versus.json"])
    args = parser.parse_args()
    notes = args.notes.read_text() if args.notes else ""
    write([json.loads(f.read_text()) for f in args.runs], notes)
